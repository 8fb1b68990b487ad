"""Writes the LeRobot test fixtures with LeRobot's own dataset writer (LeRobotDataset.create,
add_frame, save_episode, finalize), then reads every frame back with LeRobot's own loader and
stores what it returned next to the dataset (<name>.expected.json): the oracle the studio's import
tests compare against.

    lerobot 0.4.4 (v3.0):  lerobot-v30-h264     4 episodes, 2 video cameras (h264), files and chunks rolled over
                           lerobot-v30-av1-img  2 episodes, 1 video camera (libsvtav1) + 1 image feature (PNG in parquet)
    lerobot 0.3.3 (v2.1):  lerobot-v21          3 episodes, 1 video camera (libsvtav1, v2.1's only codec) + 1 image feature

Run through scripts/make-lerobot-fixtures.sh (it makes the two venvs); nothing at test time needs
LeRobot. Deterministic content: each image is a gradient with a square whose position and colour
follow the frame and episode, so decoded pixels can be compared.
"""

import json
import shutil
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np

LEROBOT = version("lerobot")
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "fixtures" / "lerobot"
H, W = 48, 64
FPS = 10
JOINTS = ["shoulder_pan.pos", "shoulder_lift.pos", "elbow_flex.pos", "wrist_flex.pos", "wrist_roll.pos", "gripper.pos"]
TASKS = ["pick the red cube", "place the cube in the bin"]


def image(episode: int, frame: int, camera: int) -> np.ndarray:
    y, x = np.mgrid[0:H, 0:W]
    img = np.zeros((H, W, 3), dtype=np.uint8)
    img[..., 0] = (x * 255 // (W - 1)).astype(np.uint8)
    img[..., 1] = (y * 255 // (H - 1)).astype(np.uint8)
    img[..., 2] = 40 + 60 * camera
    s = 12
    cx = (4 + 3 * frame + 7 * episode) % (W - s)
    cy = (4 + 2 * frame + 5 * camera) % (H - s)
    img[cy : cy + s, cx : cx + s] = [(50 * episode + 30) % 256, 200 - 40 * camera, (20 * frame) % 256]
    return img


def state(episode: int, frame: int) -> np.ndarray:
    k = np.arange(len(JOINTS))
    return (10.0 * np.sin(0.3 * frame + 0.7 * k + episode) + 5.0 * k).astype(np.float32)


def action(episode: int, frame: int) -> np.ndarray:
    return (state(episode, frame + 1) + 0.25).astype(np.float32)


def features(video_cameras: list[str], image_cameras: list[str]) -> dict:
    out: dict = {
        "observation.state": {"dtype": "float32", "shape": (len(JOINTS),), "names": JOINTS},
        "action": {"dtype": "float32", "shape": (len(JOINTS),), "names": JOINTS},
        "next.reward": {"dtype": "float32", "shape": (1,), "names": None},
    }
    for cam in video_cameras:
        out[f"observation.images.{cam}"] = {"dtype": "video", "shape": (H, W, 3), "names": ["height", "width", "channels"]}
    for cam in image_cameras:
        out[f"observation.images.{cam}"] = {"dtype": "image", "shape": (H, W, 3), "names": ["height", "width", "channels"]}
    return out


def write(name: str, lengths: list[int], video_cameras: list[str], image_cameras: list[str], vcodec: str | None, roll_over: bool) -> Path:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    root = OUT / name
    if root.exists():
        shutil.rmtree(root)
    kwargs = {"vcodec": vcodec} if vcodec is not None else {}
    ds = LeRobotDataset.create(repo_id=f"studio/{name}", fps=FPS, features=features(video_cameras, image_cameras), root=root, robot_type="so100_follower", use_videos=True, **kwargs)
    if roll_over:
        # LeRobot's own knobs, set small so a few tiny episodes span several files and chunk directories.
        ds.meta.update_chunk_settings(chunks_size=2, data_files_size_in_mb=0.002, video_files_size_in_mb=0.006)
    cameras = video_cameras + image_cameras
    for e, length in enumerate(lengths):
        for f in range(length):
            frame = {"observation.state": state(e, f), "action": action(e, f), "next.reward": np.array([1.0 if f == length - 1 else 0.0], dtype=np.float32), "task": TASKS[e % 2]}
            for c, cam in enumerate(cameras):
                frame[f"observation.images.{cam}"] = image(e, f, c)
            if LEROBOT.startswith("0.3."):  # 0.3.x takes the task as its own argument
                task = frame.pop("task")
                ds.add_frame(frame, task=task)
            else:
                ds.add_frame(frame)
        ds.save_episode()
    if hasattr(ds, "finalize"):
        ds.finalize()
    images_dir = root / "images"
    if images_dir.exists():  # v2.1 leaves the temporary PNGs of video cameras behind only on failure
        shutil.rmtree(images_dir)
    return root


def read_back(name: str, root: Path) -> None:
    """What LeRobot's own loader returns for every frame: the oracle of the import tests."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    ds = LeRobotDataset(f"studio/{name}", root=root)
    frames = []
    for i in range(len(ds)):
        item = ds[i]
        row = {
            "index": int(item["index"]),
            "episode_index": int(item["episode_index"]),
            "frame_index": int(item["frame_index"]),
            "timestamp": float(item["timestamp"]),
            "task": item["task"],
            "observation.state": [float(v) for v in item["observation.state"]],
            "action": [float(v) for v in item["action"]],
            "next.reward": float(item["next.reward"]),
        }
        for key in ds.meta.camera_keys:
            img = item[key].numpy()  # C, H, W float in [0, 1]
            row[key] = {"mean": [float(img[c].mean()) for c in range(3)], "pixel_20_30": [float(img[c, 20, 30]) for c in range(3)]}
        frames.append(row)
    expected = {
        "lerobot": LEROBOT,
        "codebase_version": ds.meta.info["codebase_version"],
        "fps": ds.fps,
        "episodes": ds.meta.total_episodes,
        "frames": frames,
    }
    (OUT / f"{name}.expected.json").write_text(json.dumps(expected, indent=1) + "\n")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    if LEROBOT.startswith("0.4."):
        specs = [
            ("lerobot-v30-h264", [12, 9, 15, 7], ["front", "wrist"], [], "h264", True),
            ("lerobot-v30-av1-img", [11, 8], ["front"], ["wrist"], "libsvtav1", False),
        ]
    elif LEROBOT.startswith("0.3."):
        specs = [("lerobot-v21", [10, 13, 6], ["front"], ["wrist"], None, False)]
    else:
        raise SystemExit(f"lerobot {LEROBOT}: this script writes v3.0 with 0.4.x and v2.1 with 0.3.x")
    for name, lengths, video, images, vcodec, roll in specs:
        root = write(name, lengths, video, images, vcodec, roll)
        read_back(name, root)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        print(f"lerobot {LEROBOT}: {root} ({size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
