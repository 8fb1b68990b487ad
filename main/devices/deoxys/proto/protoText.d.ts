// Vite's `?raw` suffix imports a file's text; vitest and electron-vite both honour it, so the .proto
// files are bundled into the CommonJS main build and need no files at run time.
declare module '*.proto?raw' {
  const text: string;
  export default text;
}
