"""Every change the main screen makes to the stores: add (`n`), edit or rotate (`e`), move (`m`),
undo the last move (`z`), delete (`d`) and unlock the keychain (`u`).

The operations are the engine's (engine/operations); this widget asks (the form, the move and
keep-choice dialogs, the delete confirmation), runs each write in a thread worker, keeps the
moves `z` undoes, and tells its screen by messages (ui/messages) what came of it. After a write
the same thread reads the stores again through the `StoreReader`, so the table never shows the
stores as they were before it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.notifications import SeverityLevel
from textual.widget import Widget

from pixi_auth_tui.core.model import KINDS
from pixi_auth_tui.engine.inventory import KEYCHAIN, WINNING, Inventory, Row, Status, offering_uv_store
from pixi_auth_tui.engine.operations import (
    EntryChanged,
    Keep,
    MoveUndo,
    Outcome,
    TargetHoldsKey,
    delete_entry,
    move_entry,
    save_credential,
    successor_after_delete,
    undo_move,
)
from pixi_auth_tui.probe.state import ProbeResult, probe_url_problem
from pixi_auth_tui.stores.base import Ability, Store, StoreError, StoreState
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui.messages import EditAgain, Said, Selection, SignInAsked, UrlChosen
from pixi_auth_tui.ui.widgets.store_reader import StoreReader

if TYPE_CHECKING:
    # The dialogs are imported when first opened: nobody waits for them at start.
    from pixi_auth_tui.ui.dialogs.credential_form import FormResult, SignInStart

WRITABLE_STATES = (StoreState.OK, StoreState.MISSING)
UV_STORE = "uv"  # uv's credentials.toml (pixi_auth_tui.pypi.uv_credentials.STORE_ID)


class CredentialEdits(Widget):
    """Has nothing to show itself: it opens its dialogs and runs the writes."""

    DEFAULT_CSS = "CredentialEdits { display: none; }"

    def __init__(self, environment: Environment, reader: StoreReader) -> None:
        super().__init__()
        self.environment = environment
        self.reader = reader  # reads the stores again in the writing thread, after each write
        # What the screen shows now, set by it as it shows the stores ("attributes down").
        self.inventory: Inventory | None = None
        self.moves: list[MoveUndo] = []  # what `z` puts back, newest last

    def say(self, message: str, severity: SeverityLevel = "information", timeout: float = 5) -> None:
        self.post_message(Said(message, severity, timeout))  # (thread-safe: the workers use it too)

    def writable_stores(self) -> list[Store]:
        inventory = self.inventory
        if inventory is None:
            return []
        return [s for s in inventory.stores if s.writable and inventory.snapshots[s.id].state in WRITABLE_STATES]

    def why_not_editable(self, row: Row, moving: bool = False) -> str | None:
        """Why `e` (or `m`, `moving`) cannot change this entry; None when it can."""
        spec = KINDS[row.entry.credential.kind]
        if not spec.editable:
            return f"{spec.label} entries are read-only here; delete is possible."
        if not row.store.writable:
            return f"{row.store.name} is read-only (as it is for rattler): edit it by hand."
        snapshot = self.inventory.snapshots[row.store.id] if self.inventory else None
        if not moving and snapshot is not None and snapshot.state not in WRITABLE_STATES:
            return f"{row.store.name} cannot be written: {snapshot.message}"
        return None

    # -- add and edit ------------------------------------------------------------------

    def add(self) -> None:
        """`n`: the add form, on the store pixi writes to first."""
        if self.inventory is None:
            return
        # uv's store is offered before its file exists (listed only once it does)
        inventory = offering_uv_store(self.inventory, self.environment)
        stores = [s for s in inventory.stores if s.writable and inventory.snapshots[s.id].state in WRITABLE_STATES]
        if not stores:
            self.say("No store can be written: see the store list for why.", "error")
            return
        from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm

        form = CredentialForm(
            inventory, stores, default_store=inventory.default_write_store(), home=self.environment.home
        )
        self.app.push_screen(form, self._form_done)

    def edit(self, row: Row) -> None:
        """`e`: the form on this entry, to rotate its secret in place."""
        problem = self.why_not_editable(row)
        if problem is not None or self.inventory is None:
            self.say(problem or "Select an entry first.", "warning")
            return
        from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm

        probes = self.reader.probe_state
        form = CredentialForm(
            self.inventory,
            [row.store],
            default_store=row.store,
            home=self.environment.home,
            editing=row,
            probe_url=probes.urls.get(row.key, "") if probes else "",
        )
        self.app.push_screen(form, self._form_done)

    def _form_done(self, result: FormResult | SignInStart | None) -> None:
        from pixi_auth_tui.ui.dialogs.credential_form import SignInStart

        if isinstance(result, SignInStart):
            self.post_message(SignInAsked(result.key, result.store_id))
            return
        if result is None or self.inventory is None:
            return
        inventory = offering_uv_store(self.inventory, self.environment)
        store = inventory.store(result.store_id)
        assert store is not None
        if result.probe_url and probe_url_problem(result.key, result.credential, result.probe_url) is None:
            self.post_message(UrlChosen(result.key, result.probe_url))
        self._write(
            lambda: save_credential(inventory, store, result.key, result.credential, seen=result.seen),
            select=(store.id, result.key),
        )

    # -- move and undo -----------------------------------------------------------------

    def move(self, row: Row) -> None:
        """`m`: to another of rattler's stores, chosen in a dialog."""
        problem = self.why_not_editable(row, moving=True)
        if row.store.chain != "conda":
            problem = f"{row.store.name} entries belong to uv's chain (a service and a user name): add it anew."
        if problem is not None:
            self.say(problem, "warning")
            return
        # Only rattler's stores: a host key is no keyring service, and uv's stores are not pixi's.
        targets = [s for s in self.writable_stores() if s.id != row.store.id and s.chain == "conda"]
        if not targets:
            self.say("There is no other writable store to move to.", "warning")
            return

        def chosen(target_id: str | None) -> None:
            target = self.inventory.store(target_id) if target_id and self.inventory else None
            if target is not None:
                self._move(row, target, None)

        from pixi_auth_tui.ui.dialogs.move import MoveScreen

        self.app.push_screen(MoveScreen(row, targets, self.environment.home), chosen)

    def _move(self, row: Row, target: Store, keep: Keep | None) -> None:
        if self.inventory is None:
            return
        inventory, backups = self.inventory, self.reader.backup_dir()

        def operation() -> Outcome:
            try:
                return move_entry(inventory, row, target, keep=keep, backup_dir=backups)
            except TargetHoldsKey as held:  # nothing was written: the person chooses
                self.app.call_from_thread(self._choose_keep, row, target, held)
                return Outcome(f"{target.name} already holds {row.key}: choose which to keep", changed=False)

        self._write(operation, select=(target.id, row.key))

    def _choose_keep(self, row: Row, target: Store, held: TargetHoldsKey) -> None:
        """The target already holds the key: show both, and let the person keep one."""
        from pixi_auth_tui.ui.dialogs.keep_choice import KeepChoiceScreen

        rows = self.inventory.rows if self.inventory else []
        there = next((r for r in rows if r.store.id == target.id and r.key == row.key), None)
        probes = self.reader.probe_state

        def last_result(entry: Row | None) -> ProbeResult | None:
            if entry is None or probes is None:
                return None
            return probes.result_for(entry.store.id, entry.key, entry.entry.credential)

        tests = (last_result(row), last_result(there))
        active = row.status in WINNING, there is not None and there.status in WINNING

        def answered(keep: Keep | None) -> None:
            if keep is not None:
                self._move(row, target, keep)
            else:
                self.say("Nothing was moved.")

        backups, home = self.reader.backup_dir(), self.environment.home
        self.app.push_screen(KeepChoiceScreen(row.key, held.moving, held.there, tests, active, backups, home), answered)

    def undo_move(self) -> None:
        """`z`: both stores exactly as before the last move."""
        if not self.moves or self.inventory is None:
            self.say("No move to undo.", "warning")
            return
        undo, inventory = self.moves[-1], self.inventory

        def operation() -> Outcome:
            outcome = undo_move(inventory, undo)
            self.app.call_from_thread(self._forget_move, undo)
            return outcome

        self._write(operation, select=(undo.source_id, undo.key))

    def _forget_move(self, undo: MoveUndo) -> None:
        if undo in self.moves:
            self.moves.remove(undo)

    # -- delete ------------------------------------------------------------------------

    def delete(self, row: Row) -> None:
        """`d`: after a confirmation that says what pixi (or uv) uses instead."""
        if not row.store.writable:
            self.say(f"{row.store.name} is read-only (as it is for rattler): edit it by hand.", "warning")
            return
        if self.inventory is None:
            return
        inventory = self.inventory
        question = f"Delete {row.key} from {row.store.name}?\n\n{self._consequence(inventory, row)}"

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(lambda: delete_entry(inventory, row))

        from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen  # (imported when first asked)

        self.app.push_screen(ConfirmScreen(question, confirm="Delete"), answered)

    @staticmethod
    def _consequence(inventory: Inventory, row: Row) -> str:
        """What deleting `row` changes, found by the same lookup as `resolve`."""
        after = successor_after_delete(inventory, row)
        if row.store.id == UV_STORE:
            who = f" for {row.entry.item_ref}" if row.entry.item_ref else ""
            return (
                f"uv will then find nothing in its credentials.toml under {row.key}{who} "
                "(the same as `uv auth logout`)."
            )
        if row.store.chain != "conda":
            return (
                f"`keyring get {row.key} {row.entry.item_ref}` will then find nothing: uv takes no password "
                "from this entry for PyPI indexes."
            )
        if row.status is Status.BLOCKING:
            return f"pixi then stops matching this entry for {row.key}" + (
                f" and uses {after.key} in {after.store.name}." if after else " and still sends no credential."
            )
        if row.status is not Status.ACTIVE:
            return "pixi does not use this entry, so nothing changes for pixi."
        if after is None:
            return f"pixi will then send no credential for {row.key}."
        if after.key == row.key:
            return f"pixi will then use the entry for {row.key} in {after.store.name}."
        return f"pixi will then use {after.key} in {after.store.name} for {row.key}."

    # -- the writes --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="write", description="write")
    def _write(self, operation: Callable[[], Outcome], select: Selection = None) -> None:
        reopen: Selection = None
        try:
            outcome: Outcome | None = operation()
        except EntryChanged as err:
            # Another program changed the entry while the form was open: nothing was written.
            self.say(f"{err} The form is opened again on the new value.", "error", 12)
            outcome, reopen = None, select if err.current is not None else None
        except StoreError as err:
            self.say(f"Nothing changed: {err}", "error", 10)
            outcome, select = None, None
        if outcome is not None and outcome.undo is not None:
            self.app.call_from_thread(self.moves.append, outcome.undo)
            outcome = outcome._replace(message=f"{outcome.message} (z undoes it)")
        # Re-read every store, so the table shows what is really there now.
        self.reader.read_and_tell(outcome, select)
        if reopen is not None:
            self.post_message(EditAgain(*reopen))

    # -- the keychain ------------------------------------------------------------------

    def unlock(self) -> None:
        """`u`: ask the keychain to unlock (its own password prompt), and say what came of it."""
        store = self.inventory.store(KEYCHAIN) if self.inventory else None
        if store is None or Ability.UNLOCK not in store.abilities or self.inventory is None:
            self.say("This keychain cannot be unlocked from here.", "warning")
            return
        snapshot = self.inventory.snapshots[KEYCHAIN]
        if snapshot.state is StoreState.OK:
            self.say("The keychain is already unlocked.")
            return
        if snapshot.state is not StoreState.LOCKED:
            self.say(f"The keychain cannot be unlocked: {snapshot.message}", "warning", 10)
            return
        self.say("Asking the keychain to unlock: answer its password prompt…", timeout=10)
        self._unlock(store)

    @work(thread=True, exclusive=True, group="write")
    def _unlock(self, store: Store) -> None:
        try:
            unlocked = store.unlock()
        except StoreError as err:
            self.say(f"The keychain stays locked: {err}", "error", 10)
            return
        if unlocked:
            self.say("Keychain unlocked.")
        else:
            self.say("The keychain stays locked (the prompt was dismissed).", "warning")
        self.reader.read_and_tell(None, None)
