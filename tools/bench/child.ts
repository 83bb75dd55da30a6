/**
 * Each bench section measures in a fresh Node process (nothing loaded or warmed by another section) and hands its
 * markdown lines back as JSON on stdout: `sectionInChild` runs a section file, `serveSection` is that file's end.
 */
import { execFileSync } from "child_process";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..");
const REGISTER = path.join(__dirname, "..", "register.js");

/** Runs `file` (a section module) in a new process and returns the lines it measured. */
export function sectionInChild(file: string): string[] {
  const out = execFileSync(process.execPath, ["-r", REGISTER, file], {
    cwd: REPO,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 * 1024 * 1024,
  });
  return (JSON.parse(out) as { lines: string[] }).lines;
}

/** The child's side: measure, print the lines as JSON, or print the error and exit 1. */
export function serveSection(measure: () => Promise<string[]>): void {
  measure().then(
    (lines) => process.stdout.write(JSON.stringify({ lines })),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
