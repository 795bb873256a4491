// Which gRPC C++ server model serves a signing RPC with the least overhead on
// one core (issue 8)? Serves tokend.scoped.v1.ScopedTokenService/IssueToken
// with either the callback API (what tokend used) or the completion-queue API
// drained by N threads that poll and handle inline; the handler does no work
// or the raw crypto of one tokend workload, prepared as core/jose prepares
// it, so that the probe is the best any gRPC 1.51 server could do with it.
// Driven by tools/loadgen; bench/server_model.sh runs the grid and compares
// calls per server CPU-second. With --front, the port is tokend's own
// HTTP/2 front (server/grpc_front) forwarding to the server's in-process
// channel, as tokend serves its public gRPC port (issue 19: does the front
// move the limit?).
//
//   server_model_probe --model=callback|async --threads=1 --work=es256
//   [--front]
#include <grpcpp/grpcpp.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/grpc_front/proxy.h"
#include "server/http/http_server.h"
#include "tokend/scoped/v1/scoped_tokens.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port");
ABSL_FLAG(std::string, model, "callback", "callback or async");
ABSL_FLAG(int, threads, 1, "async: completion-queue threads");
ABSL_FLAG(int, outstanding, 64, "async: requests posted ahead");
ABSL_FLAG(std::string, work, "none",
          "none, es256, rs256, ps256v+es256 (IAM Create) or es256v");
ABSL_FLAG(std::string, opt_target, "",
          "grpc.optimization_target: latency, blend or throughput");
ABSL_FLAG(std::string, ready_file, "", "written with the bound port");
ABSL_FLAG(bool, front, false,
          "serve the port with tokend's HTTP/2 front (server/grpc_front)");

namespace {

using ::tokend::scoped::v1::IssueTokenRequest;
using ::tokend::scoped::v1::IssueTokenResponse;
using ::tokend::scoped::v1::ScopedTokenService;

std::atomic<int64_t> g_handle_ns{0};
std::atomic<int64_t> g_handled{0};

int64_t ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

EVP_PKEY* NewKey(int type) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(type, nullptr);
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_keygen_init(ctx) != 1 ||
      (type == EVP_PKEY_EC && EVP_PKEY_CTX_set_ec_paramgen_curve_nid(
                                  ctx, NID_X9_62_prime256v1) != 1) ||
      (type == EVP_PKEY_RSA &&
       EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) != 1) ||
      EVP_PKEY_keygen(ctx, &key) != 1) {
    abort();
  }
  EVP_PKEY_CTX_free(ctx);
  return key;
}

void Sha256(absl::string_view data, unsigned char digest[32]) {
  SHA256_CTX sha;
  SHA256_Init(&sha);
  SHA256_Update(&sha, data.data(), data.size());
  SHA256_Final(digest, &sha);
}

// A context prepared once per thread and key, as core/jose/jws.cc keeps them.
EVP_PKEY_CTX* Prepare(EVP_PKEY* key, bool sign, int padding) {
  EVP_PKEY_CTX* c = EVP_PKEY_CTX_new(key, nullptr);
  if ((sign ? EVP_PKEY_sign_init(c) : EVP_PKEY_verify_init(c)) != 1 ||
      EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) != 1 ||
      (padding != 0 && EVP_PKEY_CTX_set_rsa_padding(c, padding) != 1) ||
      (padding == RSA_PKCS1_PSS_PADDING &&
       (EVP_PKEY_CTX_set_rsa_pss_saltlen(c, 32) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) != 1))) {
    abort();
  }
  return c;
}

// A JWS carries signatures base64url-encoded (and proto3 strings are UTF-8).
void AppendSignature(const unsigned char* sig, size_t len, std::string* out) {
  out->push_back('.');
  absl::StrAppend(out, absl::WebSafeBase64Escape(absl::string_view(
                           reinterpret_cast<const char*>(sig), len)));
}

// The raw crypto of one tokend workload.
enum class Work {
  kNone,
  kEs256Sign,
  kRs256Sign,
  kPs256VerifyEs256Sign,
  kEs256Verify
};
Work g_work = Work::kNone;
EVP_PKEY* g_ec = nullptr;
EVP_PKEY* g_rsa = nullptr;
// A PS256 and an ES256 signature over kInput, made at start for the verifiers.
std::string g_ps256_sig, g_es256_sig;
const std::string kInput(400, 'x');  // a token's signing input

std::string SignOnce(EVP_PKEY* key, int padding) {
  EVP_PKEY_CTX* ctx = Prepare(key, true, padding);
  unsigned char digest[32];
  Sha256(kInput, digest);
  std::string sig(512, '\0');
  size_t len = sig.size();
  if (EVP_PKEY_sign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                    digest, sizeof(digest)) != 1) {
    abort();
  }
  EVP_PKEY_CTX_free(ctx);
  sig.resize(len);
  return sig;
}

void SignInto(EVP_PKEY* key, std::string* token) {
  thread_local EVP_PKEY_CTX* ec_ctx = Prepare(g_ec, true, 0);
  thread_local EVP_PKEY_CTX* rsa_ctx =
      g_rsa ? Prepare(g_rsa, true, RSA_PKCS1_PADDING) : nullptr;
  unsigned char digest[32];
  Sha256(*token, digest);
  unsigned char sig[256];
  size_t len = sizeof(sig);
  if (EVP_PKEY_sign(key == g_ec ? ec_ctx : rsa_ctx, sig, &len, digest,
                    sizeof(digest)) != 1) {
    abort();
  }
  AppendSignature(sig, len, token);
}

void VerifyOrDie(EVP_PKEY* key, const std::string& sig) {
  thread_local EVP_PKEY_CTX* ec_ctx = Prepare(g_ec, false, 0);
  thread_local EVP_PKEY_CTX* pss_ctx =
      g_rsa ? Prepare(g_rsa, false, RSA_PKCS1_PSS_PADDING) : nullptr;
  unsigned char digest[32];
  Sha256(kInput, digest);
  if (EVP_PKEY_verify(key == g_ec ? ec_ctx : pss_ctx,
                      reinterpret_cast<const unsigned char*>(sig.data()),
                      sig.size(), digest, sizeof(digest)) != 1) {
    abort();
  }
}

void Handle(IssueTokenResponse* response) {
  const int64_t t0 = ThreadCpuNs();
  std::string token(kInput);
  switch (g_work) {
    case Work::kNone:
      break;
    case Work::kEs256Sign:
      SignInto(g_ec, &token);
      break;
    case Work::kRs256Sign:
      SignInto(g_rsa, &token);
      break;
    case Work::kPs256VerifyEs256Sign:
      VerifyOrDie(g_rsa, g_ps256_sig);
      SignInto(g_ec, &token);
      break;
    case Work::kEs256Verify:
      VerifyOrDie(g_ec, g_es256_sig);
      break;
  }
  response->set_token(std::move(token));
  g_handle_ns.fetch_add(ThreadCpuNs() - t0, std::memory_order_relaxed);
  g_handled.fetch_add(1, std::memory_order_relaxed);
}

class CallbackImpl final : public ScopedTokenService::CallbackService {
  grpc::ServerUnaryReactor* IssueToken(grpc::CallbackServerContext* context,
                                       const IssueTokenRequest*,
                                       IssueTokenResponse* response) override {
    Handle(response);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// The classic CallData state machine: request → handle inline → finish.
class AsyncCall {
 public:
  AsyncCall(ScopedTokenService::AsyncService* service,
            grpc::ServerCompletionQueue* cq)
      : service_(service), cq_(cq), writer_(&context_) {
    service_->RequestIssueToken(&context_, &request_, &writer_, cq_, cq_, this);
  }
  void Proceed(bool ok) {
    // Finish done, or a request slot cancelled by shutdown.
    if (finished_ || !ok) {
      delete this;
      return;
    }
    new AsyncCall(service_, cq_);
    IssueTokenResponse response;
    Handle(&response);
    finished_ = true;
    writer_.Finish(response, grpc::Status::OK, this);
  }

 private:
  ScopedTokenService::AsyncService* service_;
  grpc::ServerCompletionQueue* cq_;
  grpc::ServerContext context_;
  IssueTokenRequest request_;
  grpc::ServerAsyncResponseWriter<IssueTokenResponse> writer_;
  bool finished_ = false;
};

std::atomic<bool> g_stop{false};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string work = absl::GetFlag(FLAGS_work);
  if (work == "none") {
    g_work = Work::kNone;
  } else if (work == "es256") {
    g_work = Work::kEs256Sign;
  } else if (work == "rs256") {
    g_work = Work::kRs256Sign;
  } else if (work == "ps256v+es256") {
    g_work = Work::kPs256VerifyEs256Sign;
  } else if (work == "es256v") {
    g_work = Work::kEs256Verify;
  } else {
    fprintf(stderr, "--work: none, es256, rs256, ps256v+es256 or es256v\n");
    return 2;
  }
  g_ec = NewKey(EVP_PKEY_EC);
  g_es256_sig = SignOnce(g_ec, 0);
  if (g_work == Work::kRs256Sign || g_work == Work::kPs256VerifyEs256Sign) {
    g_rsa = NewKey(EVP_PKEY_RSA);
    g_ps256_sig = SignOnce(g_rsa, RSA_PKCS1_PSS_PADDING);
  }

  // The same handler in a tight loop first: its cost with warm caches.
  {
    IssueTokenResponse response;
    for (int i = 0; i < 2000; ++i) Handle(&response);
    fprintf(stderr, "tight_loop_us_per_call %.2f\n",
            g_handle_ns.exchange(0) / 1e3 / g_handled.exchange(0));
  }
  const bool async = absl::GetFlag(FLAGS_model) == "async";
  CallbackImpl callback_service;
  ScopedTokenService::AsyncService async_service;
  grpc::ServerBuilder builder;
  int port = 0;
  if (!absl::GetFlag(FLAGS_opt_target).empty()) {
    builder.AddChannelArgument(GRPC_ARG_OPTIMIZATION_TARGET,
                               absl::GetFlag(FLAGS_opt_target));
  }
  const bool front = absl::GetFlag(FLAGS_front);
  if (!front) {
    builder.AddListeningPort(absl::GetFlag(FLAGS_listen),
                             grpc::InsecureServerCredentials(), &port);
  }
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs;
  if (async) {
    builder.RegisterService(&async_service);
    for (int i = 0; i < absl::GetFlag(FLAGS_threads); ++i) {
      cqs.push_back(builder.AddCompletionQueue());
    }
  } else {
    builder.RegisterService(&callback_service);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) return 1;
  // As tokend's StartGrpcFront does, with its defaults.
  std::unique_ptr<tokend::grpc_front::GrpcProxy> proxy;
  std::unique_ptr<tokend::http::HttpServer> listener;
  if (front) {
    tokend::grpc_front::GrpcProxyOptions proxy_options;
    proxy_options.channel = server->InProcessChannel(grpc::ChannelArguments());
    proxy_options.services = {
        IssueTokenRequest::descriptor()->file()->FindServiceByName(
            "ScopedTokenService")};
    proxy = std::make_unique<tokend::grpc_front::GrpcProxy>(
        std::move(proxy_options));
    tokend::http::HttpServerOptions http;
    http.listen = absl::GetFlag(FLAGS_listen);
    absl::StatusOr<std::unique_ptr<tokend::http::HttpServer>> started =
        tokend::http::HttpServer::StartH2(std::move(http), proxy.get());
    if (!started.ok()) {
      fprintf(stderr, "front: %s\n", started.status().ToString().c_str());
      return 1;
    }
    listener = std::move(*started);
    port = listener->port();
  }
  if (FILE* f = fopen(absl::GetFlag(FLAGS_ready_file).c_str(), "w")) {
    fprintf(f, "%d\n", port);
    fclose(f);
  }
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::vector<std::thread> threads;
  for (auto& cq : cqs) {
    for (int i = 0; i < absl::GetFlag(FLAGS_outstanding); ++i) {
      new AsyncCall(&async_service, cq.get());
    }
    threads.emplace_back([cq = cq.get()] {
      void* tag;
      bool ok;
      while (cq->Next(&tag, &ok)) static_cast<AsyncCall*>(tag)->Proceed(ok);
    });
  }
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (listener) listener->Shutdown(absl::Seconds(1));
  server->Shutdown();
  for (auto& cq : cqs) cq->Shutdown();
  for (auto& t : threads) t.join();
  // The handler's own CPU time per call: the signature as the server runs it.
  const int64_t n = g_handled.load();
  fprintf(stderr, "handler_us_per_call %.2f over %lld calls\n",
          n ? g_handle_ns.load() / 1e3 / n : 0.0, static_cast<long long>(n));
  return 0;
}
