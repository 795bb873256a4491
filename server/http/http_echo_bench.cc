// http_echo_bench: HttpServer with a handler that answers every request with
// a fixed body (1 KiB by default), to measure the server's own cost per
// request. Runs until SIGINT or SIGTERM. How to run it with wrk, and the
// figures: BENCHMARKS.md (issue 4).
#include <signal.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/time.h"
#include "server/http/http_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8089", "host:port to serve on");
ABSL_FLAG(int, threads, 1, "io threads");
ABSL_FLAG(int, body_bytes, 1024, "size of the response body");

namespace {

class FixedBodyHandler : public tokend::http::HttpHandler {
 public:
  explicit FixedBodyHandler(size_t size) : body_(size, 'x') {}

  void Handle(tokend::http::HttpRequest request,
              tokend::http::Responder respond) override {
    tokend::http::HttpResponse response;
    response.headers.emplace_back("Content-Type", "text/plain");
    response.body = body_;
    std::move(respond)(std::move(response));
  }

 private:
  const std::string body_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Blocked before any thread starts, so only sigwait below sees them. A
  // shell starting us in the background sets SIGINT to "ignore", which
  // would discard it: restore the default first.
  signal(SIGINT, SIG_DFL);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  FixedBodyHandler handler(absl::GetFlag(FLAGS_body_bytes));
  tokend::http::HttpServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.threads = absl::GetFlag(FLAGS_threads);
  auto server = tokend::http::HttpServer::Start(options, &handler);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on port %d\n", (*server)->port());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  (*server)->Shutdown(absl::Seconds(2));
  return 0;
}
