"""Files written by a machine of the other byte order read the same as native ones.

tools/perf_oracle.py writes the same samples (registers, data source,
two events) little- and big-endian; apart from the raw `attr` bytes (perf 6.1 leaves
some attr fields unswapped and we hand scripts the same bytes) every callback argument
must be the same. Real perf 6.1 crashes on these files (it reads the unset third item of
`values`), so it cannot be the reference here; it is for the samples perf reads.
"""

import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import perf_oracle as po  # noqa: E402

DUMP = os.path.join(os.path.dirname(__file__), "data", "recordings", "dump_args.py")


def _attrs():
    # (no branch stacks: their flags word is a bitfield whose layout differs by byte
    # order, so the same number means different flags; tests/test_util_branch_flags.py
    # checks those against perf)
    return [po.Attr(sample_type=po.SAMPLE_DATA_SRC | po.SAMPLE_REGS_INTR
                    | po.SAMPLE_REGS_USER,
                    regs_intr=0x7, regs_user=0x3,
                    samples=[po.Sample(data_src=0x5080021 + i, intr_regs=[1, 2, 3 + i],
                                       user_regs=[4, 5])
                             for i in range(3)]),
            po.Attr(samples=[po.Sample() for _ in range(2)])]


def _without_attr_bytes(text):
    return re.sub(r"attr=<bytes>b'.*'", "attr=<bytes>...", text)


def test_big_endian_reads_like_little_endian(tmp_path, perfscript):
    outs = {}
    for name, big in (("le", False), ("be", True)):
        path = tmp_path / (name + ".data")
        po.write_perf_data(str(path), _attrs(), "x86_64", big_endian=big)
        p = perfscript(["-i", str(path), "-s", DUMP])
        assert p.returncode == 0, p.stderr.decode()
        outs[name] = p.stdout.decode()
    assert "process_event" in outs["le"]
    assert outs["le"].count("== #") == 7 and "calls[process_event]=5" in outs["le"]
    assert _without_attr_bytes(outs["be"]) == _without_attr_bytes(outs["le"])


@pytest.mark.parametrize("big", [False, True])
def test_attr_image_is_perfs(tmp_path, big):
    """perf_sample_dict['attr'] of a big-endian file: swapped fields little-endian,
    sample_regs_intr left as the file has it (perf 6.1's swap forgets it)."""
    from perfscript.session.session import Session
    path = tmp_path / "x.data"
    po.write_perf_data(str(path), _attrs(), "x86_64", big_endian=big)
    ev = Session(str(path)).evsels.evsels[0]
    image = ev.attr_image
    assert len(image) == 128
    assert int.from_bytes(image[24:32], "little") == ev.attr.sample_type
    regs_intr = image[96:104]
    assert regs_intr == (0x7).to_bytes(8, "big" if big else "little")
