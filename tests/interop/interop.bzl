"""Interop tests run twice: against tokend on its SQLite default, and
(`<name>_pg`) against tokend as a replica over a throwaway PostgreSQL 15
(tokend_env.sh reads TOKEND_STORE)."""

def interop_test(name, srcs, data, **kwargs):
    data = data + [
        "tokend_env.sh",
        "//tests/testing:postgres_env.sh",
        "//tests/testing:wait_until.sh",
        "//server:tokend",
    ]
    native.sh_test(
        name = name,
        srcs = srcs,
        data = data,
        tags = ["integration"],
        **kwargs
    )
    native.sh_test(
        name = name + "_pg",
        srcs = srcs,
        data = data,
        env = {"TOKEND_STORE": "postgres"},
        tags = ["integration", "postgres"],
        **kwargs
    )
