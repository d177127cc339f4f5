// Opens a URL in the user's browser, when there is one to open: an interactive terminal
// with a desktop session. Never waits for it, never fails the command.
import { spawn } from "node:child_process";

export function openBrowser(url: string): void {
  const desktop = process.platform === "darwin" || process.platform === "win32" ||
    !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  if (!process.stdout.isTTY || !desktop) return;
  const [cmd, args] = process.platform === "darwin"
    ? ["open", [url]]
    : process.platform === "win32"
    ? ["cmd", ["/c", "start", "", url]]
    : ["xdg-open", [url]];
  try {
    const child = spawn(cmd, args, { stdio: "ignore", detached: true });
    child.on("error", () => {});
    child.unref();
  } catch {
    // No opener: the URL is printed.
  }
}
