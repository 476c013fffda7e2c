"""One validator per boundary: the schemas check the input's shape (types, bounds, formats),
the services check product rules only, and a field's own error code survives the move."""

import ast
import io
from pathlib import Path

import pytest

from chatapp import schemas
from chatapp.errors import ValidationError
from tests.helpers import error_code

CHATAPP = Path(__file__).resolve().parent.parent / "chatapp"


def refusal(schema, data) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        schemas.load(schema, data)
    return refused.value


def test_a_wrong_value_of_a_coded_field_keeps_its_own_code():
    error = refusal(schemas.PostMessageIn, {"text": "hi", "client_msg_id": "has space"})
    assert (error.code, error.field) == ("invalid_client_msg_id", "client_msg_id")
    # Python's "$" would let a final newline through; the schema's pattern does not.
    assert refusal(schemas.PostMessageIn, {"text": "hi", "client_msg_id": "x\n"}).code == (
        "invalid_client_msg_id")
    assert schemas.load(schemas.PostMessageIn, {"text": "hi", "client_msg_id": "a-1:b_2.c"})


@pytest.mark.parametrize("data", [
    {"text": "hi", "client_msg_id": 5},            # a wrong type
    {"text": "hi"},                                # missing
    {"text": 5, "client_msg_id": "has space"},     # two problems at once
    {"text": "hi", "client_msg_id": "x", "more": 1},
])
def test_shape_problems_stay_invalid_payload_and_name_every_field(data):
    error = refusal(schemas.PostMessageIn, data)
    assert error.code == "invalid_payload"
    assert error.fields == [problem["field"] for problem in error.details]


def test_an_upload_form_without_a_usable_id_is_refused_by_the_schema():
    for form in ({}, {"client_msg_id": ""}, {"client_msg_id": "a b"}):
        assert refusal(schemas.UploadIn, form).code == "invalid_client_msg_id"
    # Browsers may send other fields beside the file; they are not the API's concern.
    assert schemas.load(schemas.UploadIn, {"client_msg_id": "u-1", "other": "x"}).client_msg_id


def test_a_bad_upload_id_stores_nothing(app, api, group, alice):
    response = api(alice).post(f"/api/chats/{group}/files", data={
        "file": (io.BytesIO(b"hello"), "a.txt"), "client_msg_id": "not ok"},
        content_type="multipart/form-data")
    assert response.status_code == 400 and error_code(response) == "invalid_client_msg_id"
    assert not any((Path(app.config["UPLOAD_FOLDER"]) / "files").glob("*"))


def _parameters(function: ast.FunctionDef) -> set[str]:
    args = function.args
    return {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}


def test_services_check_rules_not_the_types_of_what_they_are_given():
    """No service or access helper re-checks the type of a parameter: the schema did."""
    found = []
    for path in [*(CHATAPP / "services").rglob("*.py"), CHATAPP / "access.py"]:
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef):
                continue
            names = _parameters(function)
            for call in ast.walk(function):
                if (isinstance(call, ast.Call) and getattr(call.func, "id", "") == "isinstance"
                        and isinstance(call.args[0], ast.Name) and call.args[0].id in names):
                    found.append(f"{path.name}:{call.lineno} {function.name}")
    assert found == []
