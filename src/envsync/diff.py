"""What ``render --diff`` shows: a unified diff of every change, secrets masked."""

from __future__ import annotations

from envsync.drift import mask_fields, mask_text
from envsync.plan import Plan
from envsync.redact import masked_lines, plan_secrets


def diff(current_plan: Plan, *, show_secrets: bool) -> str:
    """A unified diff of every change. Secrets are masked by field (where each secret place
    sits in the parsed file, however it is spelled), then by every spelling of every secret."""
    hidden = set() if show_secrets else plan_secrets(current_plan)
    chunks = []
    for change in current_plan.changes:
        old = (change.old or "").splitlines(keepends=True)
        new = change.new.splitlines(keepends=True)
        shown_old, shown_new = old, new
        if not show_secrets:
            shown_old = masked_lines(current_plan, change.path, change.old)
            shown_new = masked_lines(current_plan, change.path, change.new)
        text = _unified(
            (old, shown_old),
            (new, shown_new),
            f"a/{change.path}" if change.old is not None else "/dev/null",
            f"b/{change.path}",
        )
        chunks.append(text if show_secrets else mask_text(mask_fields(text), hidden))
    return "".join(chunks)


def _unified(
    old: tuple[list[str], list[str]], new: tuple[list[str], list[str]], source: str, target: str
) -> str:
    """``difflib.unified_diff`` of the real lines, printing their masked twins: a line whose
    only change is a password still shows as changed."""
    from difflib import SequenceMatcher  # only --diff needs it

    (old_lines, old_shown), (new_lines, new_shown) = old, new
    out: list[str] = []
    for group in SequenceMatcher(None, old_lines, new_lines).get_grouped_opcodes(3):
        if not out:
            out += [f"--- {source}\n", f"+++ {target}\n"]
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in old_shown[i1:i2]]
                continue
            out += ["-" + line for line in old_shown[i1:i2]]
            out += ["+" + line for line in new_shown[j1:j2]]
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def _range(start: int, stop: int) -> str:
    """A hunk's line range as unified diffs write it."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"
