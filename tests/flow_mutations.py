"""Prove each flow test can fail: put back the defect it guards, run it, expect a failure.

    .venv/bin/python tests/flow_mutations.py            # every mutation (about 6 minutes)
    .venv/bin/python tests/flow_mutations.py E3 T6      # only these

Each mutation is a temporary edit of the app's source (restored afterwards, even on Ctrl+C);
the named tests must FAIL with it. A mutation whose tests still pass is a test that guards
nothing, and the script exits non-zero. The table it prints is the one in tests/FLOWS.md.
Not collected by pytest (no test_ prefix): it edits the source tree while it runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOWS = "tests/test_ui_flows.py::"


@dataclass(frozen=True)
class Mutation:
    id: str
    flow: str  # the bullet (or sub-clause) of issue 12
    what: str  # the defect put back
    edits: tuple[tuple[str, str, str], ...]  # (file, old, new): old must occur exactly once
    tests: tuple[str, ...]  # node ids (or -k expressions prefixed with "k:")


def m(id: str, flow: str, what: str, edits: list[tuple[str, str, str]], *tests: str) -> Mutation:
    return Mutation(id, flow, what, tuple(edits), tuple(FLOWS + t if not t.startswith("k:") else t for t in tests))


FORM = "app/pixi_auth_tui/ui/dialogs/credential_form.py"
MAIN = "app/pixi_auth_tui/ui/main_screen.py"
KEYMAP = "app/pixi_auth_tui/ui/keymap.py"
TESTS = "app/pixi_auth_tui/ui/widgets/connection_tests.py"
TABLE = "app/pixi_auth_tui/ui/widgets/credential_table.py"
LINE_TABLE = "app/pixi_auth_tui/ui/widgets/line_table.py"
EDITS = "app/pixi_auth_tui/ui/widgets/credential_edits.py"

MUTATIONS = [
    m(
        "E1",
        "Edit/rotate: focus on the first visible field",
        "focus the token field whatever the kind (hidden for user+pass and S3: the old silent bug)",
        [(FORM, "        self.first_field().focus()", '        self.query_one("#token", Input).focus()')],
        "test_rotate_every_kind_with_the_keyboard_alone[BasicHTTP-80x24]",
        "test_rotate_every_kind_with_the_keyboard_alone[S3Credentials-120x40]",
    ),
    m(
        "E2",
        "Edit/rotate: every secret field reachable by Tab",
        "the kind's last field is not shown (S3 session token, user+pass password)",
        [(FORM, "show(group, name in wanted)\n", "show(group, name in wanted[:-1])\n")],
        "test_rotate_every_kind_with_the_keyboard_alone[S3Credentials-80x24]",
        "test_rotate_every_kind_with_the_keyboard_alone[BasicHTTP-120x40]",
    ),
    m(
        "E3",
        "Edit/rotate: Enter submits",
        "Enter in a field does nothing (only Ctrl+S and the button save)",
        [(FORM, "    @on(Input.Submitted)\n", "")],
        "test_rotate_every_kind_with_the_keyboard_alone[CondaToken-80x24]",
        "test_rotate_every_kind_with_the_keyboard_alone[BearerToken-120x40]",
    ),
    m(
        "E4",
        'Edit/rotate: "Rotated" only when something changed, otherwise "nothing changed"',
        "no unchanged check: an identical save rewrites the file and says Rotated",
        [
            (
                "app/pixi_auth_tui/engine/operations.py",
                "    if same and not repair and dumps_credential",
                "    if False and dumps_credential",
            )
        ],
        "test_saving_an_unchanged_entry_says_nothing_changed_and_writes_nothing[S3Credentials-80x24]",
        "test_saving_an_unchanged_entry_says_nothing_changed_and_writes_nothing[BasicHTTP-120x40]",
    ),
    m(
        "E5",
        "Edit/rotate: the footer shows the dialog's own keys (Save, Cancel)",
        "the form has no footer of its own (as before the restructure)",
        [
            (
                FORM,
                '                yield Button("Cancel", id="cancel")\n        yield KeysLine()',
                '                yield Button("Cancel", id="cancel")',
            )
        ],
        "test_rotate_every_kind_with_the_keyboard_alone[BearerToken-80x24]",
        "test_rotate_every_kind_with_the_keyboard_alone[BasicHTTP-120x40]",
    ),
    m(
        "E6",
        "Edit/rotate: the title names key, kind and store whole (they are not shown as fields while editing)",
        "dialog titles are cut at the dialog's width instead of wrapping",
        [
            (
                "app/pixi_auth_tui/ui/dialogs/__init__.py",
                "        width: 100%;  /* wraps a long title (a key, kind and store) instead of cutting it */\n",
                "",
            )
        ],
        "test_rotate_every_kind_with_the_keyboard_alone[BasicHTTP-80x24]",
        "test_rotate_every_kind_with_the_keyboard_alone[S3Credentials-120x40]",
    ),
    m(
        "D1",
        "Delete: names the entry pixi uses instead, wildcards included",
        "the successor is looked up by the exact key only (no wildcard walk)",
        [
            (
                "app/pixi_auth_tui/engine/operations.py",
                "    return first_active(rows, lookup_chain(row.key))",
                "    return first_active(rows, [row.key])",
            )
        ],
        "test_delete_names_the_entry_pixi_uses_instead_as_resolve_finds_it[wildcard-120x40]",
        "test_delete_names_the_entry_pixi_uses_instead_as_resolve_finds_it[wildcard-80x24]",
    ),
    m(
        "D2",
        "Delete: the same resolution resolve uses (exact key in a later store beats a wildcard)",
        "the successor is searched in the deleted entry's own store only",
        [
            (
                "app/pixi_auth_tui/engine/operations.py",
                "    rows = build_rows(inventory.stores, without)\n",
                "    rows = [r for r in build_rows(inventory.stores, without) if r.store.id == row.store.id]\n",
            )
        ],
        "test_delete_names_the_entry_pixi_uses_instead_as_resolve_finds_it[exact-later-120x40]",
        "test_delete_names_the_entry_pixi_uses_instead_as_resolve_finds_it[exact-later-80x24]",
    ),
    m(
        "T1",
        "Test: the URL tested is shown",
        "the result toast without the URL (the old `{key}: {message}`)",
        [(TESTS, 'self.say(f"{row.key}: {result.message}\\n{result.url}"', 'self.say(f"{row.key}: {result.message}"')],
        "test_t_says_and_shows_the_url_it_tests[120x40]",
        "test_t_says_and_shows_the_url_it_tests[80x24]",
    ),
    m(
        "T2",
        "Test: the probe URL of an entry can be seen and changed",
        "U's answer is not remembered",
        [(TESTS, "            if url:\n                self.remember_url(row.key, url)\n", "            if url:\n")],
        "test_the_test_url_is_shown_changed_and_remembered[120x40]",
        "test_the_test_url_is_shown_changed_and_remembered[80x24]",
    ),
    m(
        "T3",
        "Test: a URL typed in the form is remembered",
        "the form's test URL is dropped on save",
        [
            (
                EDITS,
                "            self.post_message(UrlChosen(result.key, result.probe_url))\n",
                "            pass\n",
            )
        ],
        "test_a_url_typed_in_the_form_is_remembered[120x40]",
        "test_a_url_typed_in_the_form_is_remembered[80x24]",
    ),
    m(
        "T4",
        "Test: the state file is merged, never clobbered, when the CLI and the UI both write it",
        "save writes what this process holds, over what the file holds now",
        [
            (
                "app/pixi_auth_tui/probe/state.py",
                "        urls, results = self._read()\n        urls.update",
                "        urls, results = {}, {}\n        urls.update",
            )
        ],
        "test_the_cli_and_the_ui_writing_the_state_file_keeps_both[120x40]",
        "test_the_cli_and_the_ui_writing_the_state_file_keeps_both[80x24]",
    ),
    m(
        "T5",
        "Test all: Cancel on the plain-http question skips those entries (nothing sent, earlier results kept)",
        "Skip still tests every entry (the old callback ran them all)",
        [
            (
                TESTS,
                "            chosen = rows if yes else [r for r in rows if r not in plain]",
                "            chosen = rows",
            )
        ],
        "test_test_all_skip_on_the_plain_http_question_tests_only_the_others[120x40]",
        "test_test_all_skip_on_the_plain_http_question_tests_only_the_others[80x24]",
    ),
    m(
        "T6",
        "Test all: the summary counts every outcome",
        "only accepted and rejected are counted (the old summary)",
        [
            (
                TESTS,
                "    order = [v for v in Verdict if counts[v]]",
                "    order = [v for v in (Verdict.ACCEPTED, Verdict.REJECTED) if counts[v]]",
            )
        ],
        "test_test_all_summary_counts_every_outcome[120x40]",
        "test_test_all_summary_counts_every_outcome[80x24]",
    ),
    m(
        "B1",
        "Table: all columns readable at 120 columns (Last test sized to its content)",
        "Last test cells say the verdict in full ('needs confirmation', 'redirected away')",
        [
            (
                TABLE,
                'VERDICT_CELL = {Verdict.REDIRECTED_AWAY: "redirected", Verdict.INSECURE: "confirm http"}',
                "VERDICT_CELL: dict = {}",
            )
        ],
        "test_every_column_is_readable_at_120_columns",
    ),
    m(
        "B2",
        "Table: a usable layout at 80x24 (store summary on one line, the detail pane where it fits)",
        "no breakpoints: 80x24 gets the wide layout (a line per store, the detail pane beside the table)",
        [
            (MAIN, '[(0, "-narrow"), (100, "-medium"), (150, "-wide")]', '[(0, "-wide")]'),
            (MAIN, '[(0, "-short"), (30, "-tall")]', '[(0, "-tall")]'),
        ],
        "test_a_usable_layout_at_80x24",
    ),
    m(
        "B3",
        "Table: the detail pane scrolls to the top on a new row",
        "the pane keeps its scroll position on a new row",
        [("app/pixi_auth_tui/ui/widgets/detail_pane.py", "            self.scroll_home(animate=False)\n", "")],
        "test_table_keys_enter_home_end_and_the_detail_pane_starts_at_the_top[120x40]",
        "test_table_keys_enter_home_end_and_the_detail_pane_starts_at_the_top[80x24]",
    ),
    m(
        "B4",
        "Table: Enter on a row opens its detail or edit",
        "Enter on a row does nothing",
        [
            (
                MAIN,
                "        if self.edits.why_not_editable(event.row) is None:\n            self.action_edit()\n"
                "        else:\n            self.detail.focus()",
                "        return",
            )
        ],
        "test_table_keys_enter_home_end_and_the_detail_pane_starts_at_the_top[120x40]",
        "test_table_keys_enter_home_end_and_the_detail_pane_starts_at_the_top[80x24]",
    ),
    m(
        "B5",
        "Table: Home/End move the cursor",
        "End stops one row short of the last (only the first window is loaded)",
        [
            (
                LINE_TABLE,
                "        self.move_cursor(self.row_count - 1)",
                "        self.move_cursor(self.row_count - 2)",
            )
        ],
        "test_table_keys_enter_home_end_and_the_detail_pane_starts_at_the_top[120x40]",
        "test_table_keys_enter_home_end_and_the_detail_pane_starts_at_the_top[80x24]",
    ),
    m(
        "B6",
        "Table: the cursor lands on an entry just added",
        "the table keeps the old selection after an add",
        [
            (
                EDITS,
                "seen=result.seen),\n            select=(store.id, result.key),\n",
                "seen=result.seen),\n",
            )
        ],
        "test_the_cursor_lands_on_the_entry_just_added[120x40]",
        "test_the_cursor_lands_on_the_entry_just_added[80x24]",
    ),
    m(
        "B7",
        "Table: expired credentials stand out",
        "only the Expires cell is red (out of view at 80 columns: the defect this session fixed)",
        [(TABLE, '            for column in ("Key", "Expires"):', '            for column in ("Expires",):')],
        "test_expired_credentials_stand_out[80x24]",
    ),
    m(
        "B8",
        "Table: sorting shows its column and direction",
        "the header carries no ▲/▼ (as before the restructure)",
        [
            (
                TABLE,
                '                label.append(" ▼" if self.sort_reverse else " ▲", style="bold")',
                "                pass",
            )
        ],
        "test_sorting_shows_its_column_and_direction_and_does_what_the_readme_says[120x40]",
        "test_sorting_shows_its_column_and_direction_and_does_what_the_readme_says[80x24]",
    ),
    m(
        "B9",
        "Table: sorting does what the README says (o cycles back to lookup order)",
        "after the last column o starts again at Key instead of lookup order",
        [
            (
                TABLE,
                "        else:\n            self.sort_by(None)\n\n    def reverse_sort",
                "        else:\n            self.sort_by(0)\n\n    def reverse_sort",
            )
        ],
        "test_sorting_shows_its_column_and_direction_and_does_what_the_readme_says[120x40]",
        "test_sorting_shows_its_column_and_direction_and_does_what_the_readme_says[80x24]",
    ),
    m(
        "B10",
        "Table: sorting does what the README says (a third header click returns to lookup order)",
        "header clicks toggle the direction for ever (the old handler)",
        [
            (
                TABLE,
                "        elif not self.sort_reverse:\n            self.sort_by(event.column_index, reverse=True)\n"
                "        else:\n            self.sort_by(None)",
                "        else:\n            self.sort_by(event.column_index, reverse=not self.sort_reverse)",
            )
        ],
        "test_sorting_shows_its_column_and_direction_and_does_what_the_readme_says[120x40]",
        "test_sorting_shows_its_column_and_direction_and_does_what_the_readme_says[80x24]",
    ),
    m(
        "A1",
        'Audit: wording matches what a fix does (no "a backup is written" where none is)',
        "the permissions fix promises a backup",
        [
            (
                "app/pixi_auth_tui/audit/fixes.py",
                '    consequence = "Only the permissions change; undo puts the old mode back."',
                '    consequence = "A backup is written first; undo restores it."',
            )
        ],
        "test_fix_wording_and_undo_after_reopening_the_audit_screen[120x40]",
        "test_fix_wording_and_undo_after_reopening_the_audit_screen[80x24]",
    ),
    m(
        "A2",
        "Audit: the dedupe chooser is focused",
        "the chooser opens with nothing focused (no focus call, no auto-focus)",
        [
            (
                "app/pixi_auth_tui/ui/dialogs/fix_choice.py",
                "        choices.highlighted = 0\n        choices.focus()",
                "        choices.highlighted = 0",
            ),
            (
                "app/pixi_auth_tui/ui/dialogs/fix_choice.py",
                '    DEFAULT_CSS = box_css("FixChoiceScreen", 80)\n',
                '    DEFAULT_CSS = box_css("FixChoiceScreen", 80)\n    AUTO_FOCUS = ""\n',
            ),
        ],
        "test_dedupe_chooser_is_focused_and_tells_the_items_apart[120x40]",
        "test_dedupe_chooser_is_focused_and_tells_the_items_apart[80x24]",
    ),
    m(
        "A3",
        "Audit: the chooser shows which program wrote each item (rattler, older pixi, Python keyring)",
        "an older pixi item is called 'rattler' (the defect this session fixed)",
        [
            (
                "app/pixi_auth_tui/stores/secretservice.py",
                '        if self.writer == "rattler":',
                "        if self.written_by_rattler:",
            )
        ],
        "test_dedupe_chooser_is_focused_and_tells_the_items_apart[120x40]",
    ),
    m(
        "A4",
        "Audit: the chooser shows the masked secret's tail and when",
        "no secret tail and no date per item",
        [
            (
                "app/pixi_auth_tui/ui/dialogs/fix_choice.py",
                "            parts = [identity] if secret is None or identity == mask(secret)"
                ' else [identity, f"secret {mask(secret)}"]',
                "            parts = []",
            ),
            (
                "app/pixi_auth_tui/ui/dialogs/fix_choice.py",
                "            if row.entry.modified:",
                "            if False:",
            ),
        ],
        "test_dedupe_chooser_is_focused_and_tells_the_items_apart[80x24]",
    ),
    m(
        "A5",
        "Audit: undo works after leaving and reopening the screen",
        "each audit screen starts a fresh fix history",
        [
            (
                MAIN,
                "self.probe_state, self.reader.backup_dir(), self.fix_history, shown",
                "self.probe_state, self.reader.backup_dir(), FixHistory(), shown",
            )
        ],
        "test_fix_wording_and_undo_after_reopening_the_audit_screen[120x40]",
        "test_fix_wording_and_undo_after_reopening_the_audit_screen[80x24]",
    ),
    m(
        "F1",
        'Forms: an invalid key never gets a "pixi would store this as" suggestion',
        "any rewritten key is suggested, valid or not",
        [
            (
                FORM,
                "            if suggested.changed and key_problem(suggested.key) is None:",
                "            if suggested.changed:",
            )
        ],
        "test_form_suggestions_s3_preselect_and_multi_line_paste[120x40]",
        "test_form_suggestions_s3_preselect_and_multi_line_paste[80x24]",
    ),
    m(
        "F2",
        "Forms: the suggestion can be accepted with one key",
        "no Ctrl+G binding",
        [(FORM, '        Binding("ctrl+g", "use_suggestion", "Use suggested key"),\n', "")],
        "test_form_suggestions_s3_preselect_and_multi_line_paste[120x40]",
        "test_form_suggestions_s3_preselect_and_multi_line_paste[80x24]",
    ),
    m(
        "F3",
        "Forms: an s3:// key preselects S3",
        "an s3:// key keeps the bearer kind",
        [(FORM, '        if key.lower().startswith("s3://"):\n            return "S3Credentials"\n', "")],
        "test_form_suggestions_s3_preselect_and_multi_line_paste[120x40]",
        "test_form_suggestions_s3_preselect_and_multi_line_paste[80x24]",
    ),
    m(
        "F4",
        "Forms: a multi-line paste is refused with a message",
        "Input's own paste (keeps the first line, says nothing)",
        [
            (
                FORM,
                "        if len(lines) > 1:\n            event.prevent_default()",
                "        if False:\n            event.prevent_default()",
            )
        ],
        "test_form_suggestions_s3_preselect_and_multi_line_paste[120x40]",
        "test_form_suggestions_s3_preselect_and_multi_line_paste[80x24]",
    ),
    m(
        "K1",
        "Keychain: u shows that it is asking",
        "u asks without saying so",
        [(EDITS, '        self.say("Asking the keychain to unlock: answer its password prompt…", timeout=10)\n', "")],
        "test_a_locked_keychain_names_u_and_u_says_what_happened[120x40]",
        "test_a_locked_keychain_names_u_and_u_says_what_happened[80x24]",
    ),
    m(
        "K2",
        'Keychain: u says what happened (including "no prompter available")',
        "the store's reason is dropped (the old bare 'The keychain stays locked.')",
        [
            (
                EDITS,
                'self.say(f"The keychain stays locked: {err}", "error", 10)',
                'self.say("The keychain stays locked.", "error", 10)',
            )
        ],
        "test_a_locked_keychain_names_u_and_u_says_what_happened[120x40]",
        "test_a_locked_keychain_names_u_and_u_says_what_happened[80x24]",
    ),
    m(
        "K3",
        "Keychain: the locked message names u",
        "the locked keychain is shown without naming u",
        [
            (
                "app/pixi_auth_tui/ui/widgets/store_summary.py",
                '            lines.append("  — press u to unlock", style="bold")',
                "            pass",
            ),
            (
                "app/pixi_auth_tui/ui/widgets/store_summary.py",
                '            part.append(" (u unlocks)")',
                "            pass",
            ),
        ],
        "test_a_locked_keychain_names_u_and_u_says_what_happened[120x40]",
        "test_a_locked_keychain_names_u_and_u_says_what_happened[80x24]",
    ),
    m(
        "W1",
        'Words: correct plurals ("1 error", "4 errors")',
        "the old 'error(s)'",
        [
            (
                "app/pixi_auth_tui/ui/widgets/store_summary.py",
                '(present.plural(counts["error"], "error"),',
                "(f\"{counts['error']} error(s)\",",
            )
        ],
        "test_plurals_and_palette_names[120x40]",
        "test_plurals_and_palette_names[80x24]",
    ),
    m(
        "W2",
        'Words: palette entries named in words ("Filter", not "slash")',
        "the help text names the key as Textual spells it",
        [("app/pixi_auth_tui/ui/commands.py", "(key {present.key_name(binding.key)})", "(key {binding.key})")],
        "test_plurals_and_palette_names[120x40]",
        "test_plurals_and_palette_names[80x24]",
    ),
    m(
        "W3",
        "Words: one palette entry per action",
        "a second key for Filter, and the palette lists one entry per key instead of per action",
        [
            (
                KEYMAP,
                '    Binding("slash", "filter", "Filter", id="filter"),\n',
                '    Binding("slash", "filter", "Filter", id="filter"),\n    Binding("f", "filter", "Filter"),\n',
            ),
            ("app/pixi_auth_tui/ui/commands.py", "binding.action in seen or ", ""),
        ],
        "test_plurals_and_palette_names[120x40]",
        "test_plurals_and_palette_names[80x24]",
    ),
]


def run(mutation: Mutation) -> tuple[bool, str]:
    """Apply, run the tests, restore. Returns (the tests failed, the first failure line)."""
    originals: dict[Path, str] = {}
    try:
        for name, old, new in mutation.edits:
            path = ROOT / name
            originals.setdefault(path, path.read_text())
            current = path.read_text()
            if current.count(old) != 1:
                raise SystemExit(f"{mutation.id}: expected exactly one {old!r} in {name} (found {current.count(old)})")
            path.write_text(current.replace(old, new))
        command = [sys.executable, "-B", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
        command += ["-o", "addopts=", *mutation.tests]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    finally:
        for path, text in originals.items():
            path.write_text(text)
    # Every named test must fail, not just one of them.
    failed = done.returncode == 1 and done.stdout.count("\nFAILED ") == len(mutation.tests)
    lines = [line for line in done.stdout.splitlines() if line.startswith(("E ", "FAILED"))]
    why = lines[0][1:].strip() if lines and lines[0].startswith("E ") else (lines[0] if lines else done.stdout[-300:])
    if done.returncode not in (0, 1):  # collection error, crash: not a meaningful failure
        failed, why = False, f"pytest exited {done.returncode}: " + (done.stdout + done.stderr)[-300:]
    return failed, why


def main(selected: list[str]) -> int:
    chosen = [mu for mu in MUTATIONS if not selected or mu.id in selected]
    print("| id | flow | mutation | tests | result |")
    print("|----|------|----------|-------|--------|")
    survivors = []
    for mutation in chosen:
        start = time.monotonic()
        failed, why = run(mutation)
        tests = ", ".join(t.removeprefix(FLOWS) for t in mutation.tests)
        verdict = (
            f"fails as it should ({time.monotonic() - start:.0f} s): {why[:140]}"
            if failed
            else f"SURVIVED: {why[:140]}"
        )
        print(
            f"| {mutation.id} | {mutation.flow} | {mutation.what} | {tests} | {verdict.replace('|', '/')} |", flush=True
        )
        if not failed:
            survivors.append(mutation.id)
    if survivors:
        print(f"\nTests that did not fail under their mutation: {', '.join(survivors)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
