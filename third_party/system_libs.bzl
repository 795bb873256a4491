"""Repository rule binding Debian's system libraries for an offline build.

Each library becomes a `cc_library` whose link flags come from pkg-config at
fetch time, so BUILD files never carry hand-copied flag lists. Headers live in
/usr/include, which the auto-configured toolchain already searches; BoringSSL's
headers are symlinked in so they can shadow OpenSSL's.
"""

# target name -> (pkg-config modules, extra link flags not covered by a .pc)
_PKG_LIBS = {
    "grpcpp": (["grpc++", "grpc", "gpr"], ["-lgrpc++_reflection"]),
    "protobuf": (["protobuf"], []),
    "absl": ([
        "absl_base",
        "absl_cleanup",
        "absl_flags",
        "absl_flags_parse",
        "absl_flat_hash_map",
        "absl_flat_hash_set",
        "absl_random_random",
        "absl_status",
        "absl_statusor",
        "absl_str_format",
        "absl_strings",
        "absl_synchronization",
        "absl_time",
    ], []),
    "openssl_crypto": (["libcrypto"], []),
    "re2": (["re2"], []),
    "openssl_ssl": (["libssl", "libcrypto"], []),
    "sqlite3": (["sqlite3"], []),
    "gtest": (["gmock", "gtest"], []),
    "gtest_main": (["gmock_main", "gmock", "gtest"], []),
    "benchmark": (["benchmark"], []),
    "nghttp2": (["libnghttp2"], []),
}

_BORINGSSL_INCLUDE = "/usr/include/android"
_BORINGSSL_LIBDIR = "/usr/lib/x86_64-linux-gnu/android"
_GOOGLEAPIS = "/usr/share/gocode/src/github.com/gogo/googleapis"

def _pkg_config(ctx, modules):
    res = ctx.execute(["pkg-config", "--libs"] + modules)
    if res.return_code != 0:
        fail("pkg-config --libs %s failed (run tools/setup): %s" %
             (" ".join(modules), res.stderr))
    return res.stdout.strip().split(" ")

def _which(ctx, name):
    path = ctx.which(name)
    if path == None:
        fail("%s not found (run tools/setup)" % name)
    return str(path)

def _system_libs_impl(ctx):
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, (modules, extra) in _PKG_LIBS.items():
        flags = [f for f in _pkg_config(ctx, modules) + extra if f]
        build.append("cc_library(\n    name = %r,\n    linkopts = %r,\n)\n" %
                     (name, flags))

    # BoringSSL: headers shadow OpenSSL's through an include path of our own.
    ctx.symlink(_BORINGSSL_INCLUDE + "/openssl", "boringssl/include/openssl")
    build.append("""cc_library(
    name = "boringssl_crypto",
    hdrs = glob(["boringssl/include/openssl/*.h"]),
    includes = ["boringssl/include"],
    linkopts = [
        "-L{libdir}",
        "-l:libcrypto.so.0",
        "-Wl,-rpath,{libdir}",
    ],
)
""".format(libdir = _BORINGSSL_LIBDIR))

    # libpq: its headers live in /usr/include/postgresql, which the toolchain
    # does not search; link flags from pkg-config.
    ctx.symlink("/usr/include/postgresql", "libpq/include")
    build.append("""cc_library(
    name = "libpq",
    hdrs = glob(["libpq/include/*.h"]),
    includes = ["libpq/include"],
    linkopts = {linkopts},
)
""".format(linkopts = repr([f for f in _pkg_config(ctx, ["libpq"]) if f])))

    # Well-known API protos from Debian (google/api, google/rpc).
    ctx.symlink(_GOOGLEAPIS + "/google/api", "googleapis/google/api")
    ctx.symlink(_GOOGLEAPIS + "/google/rpc", "googleapis/google/rpc")
    build.append("""filegroup(
    name = "googleapis_protos",
    srcs = [
        "googleapis/google/api/annotations.proto",
        "googleapis/google/api/http.proto",
        "googleapis/google/rpc/code.proto",
        "googleapis/google/rpc/error_details.proto",
        "googleapis/google/rpc/status.proto",
    ],
)
""")

    protoc = _which(ctx, "protoc")
    grpc_plugin = _which(ctx, "grpc_cpp_plugin")
    ctx.symlink(protoc, "bin/protoc")
    ctx.symlink(grpc_plugin, "bin/grpc_cpp_plugin")
    build.append('exports_files(["bin/protoc", "bin/grpc_cpp_plugin"])\n')
    ctx.file("BUILD.bazel", "\n".join(build))
    ctx.file("WORKSPACE", 'workspace(name = "system")\n')

system_libs = repository_rule(
    implementation = _system_libs_impl,
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)
