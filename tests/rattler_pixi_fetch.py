"""Reference: fetch a channel's repodata through py-rattler with pixi's middleware order —
mirrors first, then authentication from rattler's default stores.

argv[1] is a JSON object {"url": …, "mirrors": {original: [mirror, …]}}; prints "OK" or
"ERR …" as one JSON string. (Not for s3://: rattler presigns S3 URLs, and moto answers a
presigned request with a 500 once it enforces signatures, so it cannot judge them.)
A subprocess, like tests/rattler_fetch.py, so the temporary HOME is rattler's home.
"""

import asyncio
import json
import os
import sys
import tempfile


async def fetch(url: str, mirrors: dict[str, list[str]]) -> str:
    from rattler import Channel, Platform
    from rattler.networking import AuthenticationMiddleware, Client, MirrorMiddleware, fetch_repo_data

    try:
        await fetch_repo_data(
            channels=[Channel(url)],
            platforms=[Platform("noarch")],
            cache_path=tempfile.mkdtemp(),
            callback=None,
            client=Client([MirrorMiddleware(mirrors), AuthenticationMiddleware()]),
        )
    except Exception as err:  # the oracle reports, the test decides
        return f"ERR {type(err).__name__}: {err}"
    return "OK"


def main() -> None:
    case = json.loads(sys.argv[1])
    result = asyncio.run(fetch(case["url"], case["mirrors"]))
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
