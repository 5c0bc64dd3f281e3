"""An nginx configuration that runs deploy/nginx/crm-locations.conf on this machine, unprivileged.

Used by .ci/production and bench/bench_load.py to put the README's proxy in front of servers
on loopback ports (the production file names unix sockets and certificates instead):

    python deploy/nginx/local.py --listen 127.0.0.1:8080 --http 127.0.0.1:8001 \
        --ws 127.0.0.1:8002 --dir /tmp/nginx >/tmp/nginx/nginx.conf
    nginx -c /tmp/nginx/nginx.conf

nginx keeps its pid, logs and buffers under --dir and stays in the foreground.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

LOCATIONS = Path(__file__).resolve().parent / "crm-locations.conf"


def local_conf(*, listen: str, http: str, ws: str, directory: Path, workers: int = 1) -> str:
    temp = {name: directory / f"{name}_temp" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(parents=True, exist_ok=True)
    # Started by root (CI), nginx would run its workers as nobody, who may not write --dir.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""daemon off;
{user}worker_processes {workers};
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    upstream crm_http {{ server {http} fail_timeout=0; }}
    upstream crm_ws {{ server {ws} fail_timeout=0; }}
    server {{
        listen {listen};
        include {LOCATIONS};
    }}
}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="host:port nginx listens on")
    parser.add_argument("--http", required=True, help="host:port of gunicorn")
    parser.add_argument("--ws", required=True, help="host:port of daphne")
    parser.add_argument("--dir", required=True, type=Path, help="where nginx keeps its pid, logs and buffers")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(local_conf(listen=args.listen, http=args.http, ws=args.ws, directory=args.dir, workers=args.workers))


if __name__ == "__main__":
    main()
