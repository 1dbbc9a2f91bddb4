"""Counting words for people: `1 error`, `4 errors`, `1 entry`, `2 entries`."""


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    if count == 1:
        return f"{count} {singular}"
    if plural_form is None:
        plural_form = (
            singular[:-1] + "ies" if singular.endswith("y") and singular[-2:-1] not in "aeiou" else singular + "s"
        )
    return f"{count} {plural_form}"
