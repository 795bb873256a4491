// TokendProcess: runs the real tokend binary for integration tests — a
// temporary data directory, free loopback ports, the ready file to learn
// them — and stops it with SIGTERM (graceful) or SIGKILL (crash).
#ifndef TOKEND_TESTS_TESTING_TOKEND_PROCESS_H_
#define TOKEND_TESTS_TESTING_TOKEND_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tokend::testing {

// A fresh directory under TEST_TMPDIR (or /tmp).
std::string MakeTempDir(const std::string& name);

// Path of a runfile, e.g. "tokend/server/tokend".
std::string Runfile(const std::string& path);

class TokendProcess {
 public:
  // Starts `binary` with --data_dir, --grpc_listen=127.0.0.1:0,
  // --http_listen=127.0.0.1:0,
  // --ready_file and `extra_args`; waits until ready (up to 30 s).
  static absl::StatusOr<TokendProcess> Start(
      const std::string& data_dir, std::vector<std::string> extra_args = {});

  // How a process that was expected to refuse its configuration ended.
  struct Exited {
    int exit_code = -1;  // The exit status, or -signal when killed.
    std::string log;     // Everything it wrote to stderr.
    bool ready = false;  // Whether it got as far as writing the ready file.
  };

  // Starts `binary` exactly as Start() does (`extra_args` come last, so they
  // override the defaults, e.g. --grpc_listen) and waits for it to exit on
  // its own. DeadlineExceeded (and the process is killed) if it is still
  // running after `timeout`.
  static absl::StatusOr<Exited> RunUntilExit(
      const std::string& data_dir, std::vector<std::string> extra_args,
      absl::Duration timeout = absl::Seconds(30));

  TokendProcess(TokendProcess&& other) noexcept;
  TokendProcess& operator=(TokendProcess&&) = delete;
  ~TokendProcess();

  const std::string& grpc_address() const { return grpc_address_; }
  // The REST gateway's host:port.
  const std::string& http_address() const { return http_address_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string AdminKey() const;
  // What the process has written to stderr so far.
  std::string Log() const;
  pid_t pid() const { return pid_; }

  // SIGTERM and wait; the exit status (or -signal when killed).
  int Stop();
  // SIGKILL and wait.
  void Kill();
  // Waits for the process to exit on its own (after a signal the test sent
  // itself, say); the exit status (or -signal when killed).
  int Wait();

 private:
  TokendProcess(pid_t pid, std::string data_dir, std::string grpc_address,
                std::string http_address)
      : pid_(pid),
        data_dir_(std::move(data_dir)),
        grpc_address_(std::move(grpc_address)),
        http_address_(std::move(http_address)) {}

  pid_t pid_ = -1;
  std::string data_dir_;
  std::string grpc_address_;
  std::string http_address_;
};

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_TESTING_TOKEND_PROCESS_H_
