"""Runs one command and prints one JSON line: its wall time and the peak RSS of that process
(ru_maxrss from os.wait4, so both sides of a bench are measured the same way, model load
included). Standard library only.

    python3 scripts/bench/timed.py --tag '{"impl": "headscope", "items": 8}' --stdout log.txt -- cmd args...

The tag's fields are copied into the line. When the command's last stdout line is a JSON object,
its fields are merged in too (under the wrapper's own fields, which win). A failing command
makes this exit with its status after printing its stderr tail.
"""
import argparse, json, os, subprocess, sys, time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tag", default="{}")
    parser.add_argument("--stdout", required=True, help="file for the command's standard output")
    parser.add_argument("--stderr", help="file for its standard error (default: next to --stdout)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    err_path = args.stderr or args.stdout + ".err"
    with open(args.stdout, "w") as out, open(err_path, "w") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        with open(err_path) as err:
            sys.stderr.write("".join(err.readlines()[-20:]))
        sys.stderr.write(f"timed: {' '.join(command)} exited with {code}\n")
        sys.exit(code if code > 0 else 1)
    record = {}
    with open(args.stdout) as out:
        lines = [line.strip() for line in out if line.strip()]
    if lines and lines[-1].startswith("{"):
        try:
            record.update(json.loads(lines[-1]))
        except ValueError:
            pass
    record.update(json.loads(args.tag))
    record.update({"wall_seconds": round(wall, 3), "user_seconds": round(usage.ru_utime, 3),
                   "system_seconds": round(usage.ru_stime, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)})
    print(json.dumps(record))


if __name__ == "__main__":
    main()
