"""tokend_proto: one .proto -> a C++ (and optionally gRPC) cc_library.

Runs Debian's protoc and grpc_cpp_plugin through a genrule: Bazel 4's native
proto rules would want @com_google_protobuf, which is not available offline.
Import paths are rooted at proto/ (our files), the googleapis protos from
Debian, and /usr/include (protobuf's well-known types). Generated headers are
included as "tokend/keys/v1/keyring.pb.h".
"""

_GOOGLEAPIS_ROOT = "external/system/googleapis"

def tokend_proto(name, src, deps = [], grpc = False, external = False):
    """Declares `name` (cc_library) and `name + "_files"` (the proto sources).

    Args:
      name: target name.
      src: path of the .proto relative to its import root (e.g.
        "tokend/keys/v1/keyring.proto"); for external=True, relative to the
        googleapis root.
      deps: other tokend_proto targets this file imports.
      grpc: also generate gRPC service stubs.
      external: the file comes from Debian's googleapis package.
    """
    base = src[:-len(".proto")]
    outs = [base + ".pb.h", base + ".pb.cc"]
    if grpc:
        outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    if external:
        label = "@system//:googleapis/" + src
    else:
        label = src
    native.filegroup(
        name = name + "_files",
        srcs = [label] + [d + "_files" for d in deps],
    )
    grpc_flags = ""
    tools = ["@system//:bin/protoc"]
    if grpc:
        tools.append("@system//:bin/grpc_cpp_plugin")
        grpc_flags = ("--plugin=protoc-gen-grpc=$(execpath @system//:bin/grpc_cpp_plugin) " +
                      "--grpc_out=$(GENDIR)/%s " % native.package_name())
    native.genrule(
        name = name + "_gen",
        srcs = [name + "_files"],
        outs = outs,
        tools = tools,
        cmd = ("$(execpath @system//:bin/protoc) %s -I%s -I/usr/include " +
               "--cpp_out=$(GENDIR)/%s %s %s") % (
            "" if external else "-I" + native.package_name(),
            _GOOGLEAPIS_ROOT,
            native.package_name(),
            grpc_flags,
            src,
        ),
    )
    extra = ["//third_party:grpcpp"] if grpc else []
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        copts = ["-Wno-unused-parameter"],
        deps = deps + ["//third_party:protobuf"] + extra,
        visibility = ["//visibility:public"],
    )
