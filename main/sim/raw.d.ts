// Vite's `?raw` suffix imports a file's text (vitest and electron-vite both honour it).
declare module '*?raw' {
  const text: string;
  export default text;
}
