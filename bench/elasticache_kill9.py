"""kill -9 of regionbox under Redis write load, the long version of the suite's three rounds
(tests/services/elasticache/test_kill9_nodes.py): prints figures measured in one run.

A writer does SET + WAIT 2 through the primary endpoint of a Multi-AZ group of three; every round
kills regionbox with -9, in turn alone, with the primary node and with a replica node (killed while
regionbox is down), and restarts it on the same state directory. After each round: keys written,
acknowledged (WAIT said both replicas have them), acknowledged keys lost, seconds from the restart
to a recovered group, and the events that said a node lost its data (there must be none).

Run: python bench/elasticache_kill9.py [--rounds 30] [--pause 2]
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from regionbox.testing.process import CloudProcess  # noqa: E402
from tests.services.elasticache.kill9_helpers import crash_round, start_soak  # noqa: E402

VICTIMS = (None, "primary", "replica")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--pause", type=float, default=2.0, help="seconds of writes before each kill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="regionbox-kill9-") as state:
        process = CloudProcess(pathlib.Path(state) / "state").start()
        writer = None
        try:
            writer = start_soak(process)
            print(f"{'round':>5} {'killed':>8} {'written':>9} {'acknowledged':>12} {'lost':>5} {'recovery s':>10} {'data-loss events':>16}")
            lost_total, losses, slowest = 0, 0, 0.0
            for number in range(1, args.rounds + 1):
                victim = VICTIMS[(number - 1) % len(VICTIMS)]
                result = crash_round(process, "soak", writer, victim, pause=args.pause)
                loss_events = [e for e in result["events"] if "without its data" in e[1]]
                lost_total += len(result["lost"])
                losses += len(loss_events)
                slowest = max(slowest, result["recovery_seconds"])
                print(f"{number:>5} {victim or 'none':>8} {result['written']:>9} {result['acknowledged']:>12} "
                      f"{len(result['lost']):>5} {result['recovery_seconds']:>10.2f} {len(loss_events):>16}")
            print(f"\n{args.rounds} rounds: {writer.written} keys written, {len(writer.acknowledged)} acknowledged, "
                  f"{lost_total} acknowledged keys lost, {losses} data-loss events, slowest recovery {slowest:.2f} s")
        finally:
            if writer is not None:
                writer.stop()
            process.cleanup()


if __name__ == "__main__":
    main()
