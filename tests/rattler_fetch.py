"""Reference consumer: fetch repodata with py-rattler's own credential lookup.

Reads a JSON list of cases from stdin: [{"url": ..., "env": {name: value or null},
"config": TOML text or absent}]. With "config", the client is `Client.from_config` of that
pixi/rattler config (which reads its `authentication-override-file`); otherwise it is
`Client.authenticated_client()` (rattler's default stores). Prints one JSON result per case.
Runs as a subprocess because py-rattler may crash while the interpreter shuts down;
os._exit avoids that after the results are out.
"""

import asyncio
import json
import os
import sys
import tempfile


async def fetch(url: str, config: str | None) -> str:
    from rattler import Channel, Config, Platform
    from rattler.networking import Client, fetch_repo_data

    try:
        client = Client.from_config(Config.from_toml(config)) if config is not None else Client.authenticated_client()
        await fetch_repo_data(
            channels=[Channel(url)],
            platforms=[Platform("noarch")],
            cache_path=tempfile.mkdtemp(),
            callback=None,
            client=client,
        )
    except Exception as err:  # the oracle reports, the test decides
        return f"ERR {type(err).__name__}: {err}"
    return "OK"


def main() -> None:
    # With no S3 keys stored, rattler falls back to the AWS SDK's chain, whose instance-metadata
    # lookup (169.254.169.254) would go through the recording proxy, get refused and retry for
    # seconds per case. No machine running these tests is an EC2 instance, and that lookup never
    # changes which stored credential rattler picks.
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    cases = json.load(sys.stdin)
    results = []
    for case in cases:
        for name, value in case.get("env", {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        results.append(asyncio.run(fetch(case["url"], case.get("config"))))
    sys.stdout.write(json.dumps(results) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
