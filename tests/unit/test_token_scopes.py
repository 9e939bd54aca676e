"""Scopes asked of a token server: one per resource, its actions merged in one order."""

from portside.registry.client import merge_scopes


def test_the_registrys_challenge_and_our_scope_merge_per_repository() -> None:
    # distribution lists a challenge's actions in no fixed order
    challenge = "repository:public/busybox:push,pull"
    ours = "repository:public/busybox:pull,push repository:team/busybox:pull"
    assert merge_scopes(f"{challenge} {ours}") == [
        "repository:public/busybox:pull,push",
        "repository:team/busybox:pull",
    ]


def test_a_narrower_challenge_widens_to_what_we_need() -> None:
    got = merge_scopes("repository:a:pull repository:a:push registry:catalog:*")
    assert got == ["repository:a:pull,push", "registry:catalog:*"]
