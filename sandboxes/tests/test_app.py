from starlette.testclient import TestClient

from sandboxes.app import app


def test_sandboxes_process_answers():
    client = TestClient(app)
    assert client.get("/healthz").json()["status"] == "ok"
    assert "Provider sandboxes" in client.get("/").text
