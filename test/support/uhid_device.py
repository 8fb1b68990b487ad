#!/usr/bin/env python3
"""A virtual HID device through Linux uhid (Documentation/hid/uhid.rst), for the node-hid test.

usage: uhid_device.py VID PID NAME DESCRIPTOR_HEX

Creates the device with the given report descriptor, then:
  stdout, one line each: "created", and the kernel's events by name ("start", "open", "close", ...)
  stdin, one line each:  an input report in hex (byte 0 = report ID) to send, or "quit"
The kernel turns the device into a hidraw node that hidapi/node-hid open like a real one.
"""
import os
import select
import struct
import sys

UHID_EVENTS = {1: "destroy", 2: "start", 3: "stop", 4: "open", 5: "close", 6: "output", 9: "get_report", 13: "set_report"}
UHID_DESTROY = 1
UHID_GET_REPORT_REPLY = 10
UHID_CREATE2 = 11
UHID_INPUT2 = 12
UHID_SET_REPORT_REPLY = 14
BUS_USB = 0x03
# struct uhid_event is packed: __u32 type + a union whose largest member is uhid_create2_req
# (name[128], phys[64], uniq[64], rd_size u16, bus u16, vendor u32, product u32, version u32,
# country u32, rd_data[4096]).
EVENT_SIZE = 4 + 128 + 64 + 64 + 2 + 2 + 4 * 4 + 4096


def event(kind, payload):
    return (struct.pack("<I", kind) + payload).ljust(EVENT_SIZE, b"\0")


def main():
    vid, pid, name, descriptor = int(sys.argv[1], 16), int(sys.argv[2], 16), sys.argv[3], bytes.fromhex(sys.argv[4])
    fd = os.open("/dev/uhid", os.O_RDWR | os.O_CLOEXEC)
    create = struct.pack(
        "<128s64s64sHHIIII4096s", name.encode()[:127], b"foresight-test", b"", len(descriptor), BUS_USB, vid, pid, 0x0441, 0, descriptor
    )
    os.write(fd, event(UHID_CREATE2, create))
    print("created", flush=True)
    try:
        while True:
            readable, _, _ = select.select([fd, sys.stdin], [], [])
            if fd in readable:
                data = os.read(fd, EVENT_SIZE)
                kind = struct.unpack_from("<I", data)[0]
                if kind == 9:  # get_report: answer "not supported" so the kernel does not wait
                    request_id = struct.unpack_from("<I", data, 4)[0]
                    os.write(fd, event(UHID_GET_REPORT_REPLY, struct.pack("<IHH", request_id, 5, 0)))
                elif kind == 13:
                    request_id = struct.unpack_from("<I", data, 4)[0]
                    os.write(fd, event(UHID_SET_REPORT_REPLY, struct.pack("<IH", request_id, 5)))
                print(UHID_EVENTS.get(kind, f"event{kind}"), flush=True)
            if sys.stdin in readable:
                line = sys.stdin.readline()
                if line == "" or line.strip() == "quit":
                    break
                report = bytes.fromhex(line.strip())
                os.write(fd, event(UHID_INPUT2, struct.pack("<H", len(report)) + report))
    finally:
        os.write(fd, event(UHID_DESTROY, b""))
        os.close(fd)


if __name__ == "__main__":
    main()
