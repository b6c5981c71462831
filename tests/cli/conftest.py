from tests.fakeindex import fake_index  # noqa: F401  (re-exported fixture)
