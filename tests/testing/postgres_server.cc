#include "tests/testing/postgres_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/status_macros.h"

extern char** environ;

namespace tokend::testing {
namespace {

// Debian's /usr/bin/psql is a Perl wrapper that picks a cluster from its own
// configuration; the versioned directory is the plain binaries.
constexpr char kBin[] = "/usr/lib/postgresql/15/bin/";
constexpr char kRunuser[] = "/usr/sbin/runuser";
constexpr char kUser[] = "tokend";

// ---- Subprocesses -------------------------------------------------------

struct RunResult {
  int exit_code = 0;  // -signal when killed.
  std::string out;
  std::string err;
};

std::string Tail(const std::string& s, size_t n = 1500) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ReadFd(int fd) {
  std::string data;
  char buf[4096];
  lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) data.append(buf, n);
  return data;
}

// The environment minus PG* variables, which would redirect psql or pg_ctl
// (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSERVICE, ...).
std::vector<std::string> ChildEnv() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "PG")) env.push_back(*e);
  }
  env.push_back("PGCONNECT_TIMEOUT=10");
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Runs `args` (args[0] an absolute path) in `cwd` (unchanged if empty), as
// the postgres user when `as_postgres` and we are root, with stdout and
// stderr captured in memory files (no pipe to drain, and the detached
// postmaster cannot hold them open). Killed, with its process group, after
// `timeout`. posix_spawn rather than fork: test binaries are multithreaded.
absl::StatusOr<RunResult> Run(std::vector<std::string> args,
                              const std::string& cwd, absl::Duration timeout,
                              bool as_postgres) {
  if (as_postgres && geteuid() == 0) {
    args.insert(args.begin(), {kRunuser, "-u", "postgres", "--"});
  }
  const std::string command = absl::StrJoin(args, " ");
  const int out = memfd_create("stdout", MFD_CLOEXEC);
  const int err = memfd_create("stderr", MFD_CLOEXEC);
  if (out < 0 || err < 0) {
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    return absl::InternalError(absl::StrCat("memfd_create: ", strerror(errno)));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, err, 2);
  // Keep the test's descriptors (sockets, database files) out of the
  // postmaster, which would hold them for its whole life.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so a timeout kills runuser's child too; default
  // signal handling and mask, whatever the test process set up (gRPC ignores
  // SIGPIPE, for instance).
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> env = ChildEnv();
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);
  pid_t pid;
  const int spawn_error =
      posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawn_error != 0) {
    close(out);
    close(err);
    return absl::InternalError(
        absl::StrCat("spawn ", command, ": ", strerror(spawn_error)));
  }

  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration nap = absl::Milliseconds(1);
  int status = 0;
  bool timed_out = false;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      status = -1;
      break;
    }
    if (absl::Now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      timed_out = true;
      break;
    }
    absl::SleepFor(nap);
    nap = std::min(nap * 2, absl::Milliseconds(20));
  }
  RunResult result;
  result.out = ReadFd(out);
  result.err = ReadFd(err);
  close(out);
  close(err);
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(command, " still running after ",
                     absl::FormatDuration(timeout), ": ", Tail(result.err)));
  }
  result.exit_code = WIFEXITED(status)     ? WEXITSTATUS(status)
                     : WIFSIGNALED(status) ? -WTERMSIG(status)
                                           : -1;
  return result;
}

// A tool's failure as a status: its exit code and the tail of its output.
absl::Status Failure(absl::string_view tool, const RunResult& r) {
  return absl::InternalError(absl::StrCat(tool, " exited with ", r.exit_code,
                                          ": ", Tail(r.err + r.out)));
}

// ---- Processes ----------------------------------------------------------

// Whether `pid` runs (a zombie, waiting for init to reap it, does not).
bool IsAlive(pid_t pid) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  const char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

// pg_ctl -w stop returns once postmaster.pid is gone, which the postmaster
// removes just before it exits; wait for the exit itself.
bool WaitGone(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (IsAlive(pid)) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

// A loopback port the kernel considers free right now. Someone may take it
// before postgres binds it: Start() retries on a clash.
absl::StatusOr<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool ok =
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  if (!ok) return absl::InternalError("bind 127.0.0.1:0 failed");
  return ntohs(addr.sin_port);
}

// ---- Crash safety net ---------------------------------------------------
// Destructors do not run when the test binary is killed by Bazel's timeout
// (SIGTERM) or crashes; the postmaster, detached by pg_ctl, would outlive it.
// These handlers send it SIGQUIT (immediate shutdown; kill() is
// async-signal-safe), then hand the signal to whoever handled it before.

constexpr int kFatalSignals[] = {SIGTERM, SIGINT, SIGABRT, SIGSEGV, SIGBUS};
constexpr int kMaxPostmasters = 16;
std::atomic<pid_t> g_postmasters[kMaxPostmasters];
pid_t g_owner = 0;
struct sigaction g_previous[std::size(kFatalSignals)];

void QuitPostmasters(int sig) {
  if (getpid() == g_owner) {
    for (std::atomic<pid_t>& slot : g_postmasters) {
      const pid_t pid = slot.load();
      if (pid > 0) kill(pid, SIGQUIT);
    }
  }
  for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
    if (kFatalSignals[i] == sig) sigaction(sig, &g_previous[i], nullptr);
  }
  // A fault recurs on return, now under the previous handler, with its
  // original siginfo; anything else must be raised again.
  if (sig != SIGSEGV && sig != SIGBUS) raise(sig);
}

void WatchPostmaster(pid_t pid) {
  static std::once_flag installed;
  std::call_once(installed, [] {
    g_owner = getpid();
    struct sigaction action = {};
    action.sa_handler = QuitPostmasters;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
      sigaction(kFatalSignals[i], &action, &g_previous[i]);
    }
  });
  for (std::atomic<pid_t>& slot : g_postmasters) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
}

void UnwatchPostmaster(pid_t pid) {
  for (std::atomic<pid_t>& slot : g_postmasters) {
    pid_t expected = pid;
    slot.compare_exchange_strong(expected, 0);
  }
}

}  // namespace

PostgresServer::PostgresServer(std::string data_dir)
    : data_dir_(std::move(data_dir)), owner_(getpid()) {}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  char dir[] = "/tmp/pg.XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", strerror(errno)));
  }
  // From here on the destructor removes the directory on any error.
  auto server = absl::WrapUnique(new PostgresServer(dir));
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) return absl::NotFoundError("no `postgres` user");
    if (chmod(dir, 0755) != 0 || chown(dir, pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError(
          absl::StrCat("chown ", dir, ": ", strerror(errno)));
    }
  }
  ASSIGN_OR_RETURN(
      RunResult initdb,
      Run({absl::StrCat(kBin, "initdb"), "-D", dir, "-U", kUser, "-A", "trust",
           "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
          dir, absl::Seconds(60), /*as_postgres=*/true));
  if (initdb.exit_code != 0) return Failure("initdb", initdb);

  absl::Status launched;
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSIGN_OR_RETURN(server->port_, FreePort());
    launched = server->Launch();
    if (launched.ok()) return server;
    if (!absl::StrContains(launched.message(), "already in use")) break;
  }
  return launched;
}

absl::Status PostgresServer::Launch() {
  const std::string log = data_dir_ + "/server.log";
  // pg_ctl pastes -o into a shell command line; mkdtemp names need no more
  // quoting than this.
  const std::string options =
      absl::StrCat("-k '", data_dir_, "' -c listen_addresses=127.0.0.1 -p ",
                   port_, " -F -c max_connections=200");
  ASSIGN_OR_RETURN(RunResult r,
                   Run({absl::StrCat(kBin, "pg_ctl"), "-D", data_dir_, "-l",
                        log, "-w", "-t", "30", "-o", options, "start"},
                       data_dir_, absl::Seconds(45), /*as_postgres=*/true));
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat(
        "pg_ctl start on port ", port_, " exited with ", r.exit_code, ": ",
        Tail(r.err + r.out, 300), "\nserver.log: ", Tail(ReadFile(log))));
  }
  // The first line of postmaster.pid is the postmaster's pid.
  postmaster_ = atoi(ReadFile(data_dir_ + "/postmaster.pid").c_str());
  if (postmaster_ <= 0) {
    postmaster_ = 0;
    return absl::InternalError("pg_ctl started but no postmaster.pid");
  }
  WatchPostmaster(postmaster_);
  return absl::OkStatus();
}

absl::Status PostgresServer::Stop() {
  if (postmaster_ == 0) return absl::OkStatus();
  absl::StatusOr<RunResult> r =
      Run({absl::StrCat(kBin, "pg_ctl"), "-D", data_dir_, "-m", "immediate",
           "-w", "-t", "30", "stop"},
          data_dir_, absl::Seconds(45), /*as_postgres=*/true);
  absl::Status status = !r.ok()             ? r.status()
                        : r->exit_code != 0 ? Failure("pg_ctl stop", *r)
                                            : absl::OkStatus();
  // Already dead (killed by a test, say) is stopped; hung is killed.
  if (!WaitGone(postmaster_, absl::Seconds(status.ok() ? 10 : 1))) {
    kill(postmaster_, SIGKILL);
    if (status.ok()) status = absl::InternalError("postmaster did not exit");
  } else {
    status = absl::OkStatus();
  }
  UnwatchPostmaster(postmaster_);
  postmaster_ = 0;
  return status;
}

absl::Status PostgresServer::Restart() {
  RETURN_IF_ERROR(Stop());
  return Launch();
}

PostgresServer::~PostgresServer() {
  if (getpid() != owner_) return;
  if (absl::Status s = Stop(); !s.ok()) {
    fprintf(stderr, "PostgresServer: %s\n", s.ToString().c_str());
  }
  std::error_code ignored;
  std::filesystem::remove_all(data_dir_, ignored);
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase() {
  const std::string name = absl::StrCat("db", next_db_++);
  RETURN_IF_ERROR(Psql("postgres", "CREATE DATABASE " + name).status());
  return absl::StrCat("postgresql://", kUser, "@127.0.0.1:", port_, "/", name);
}

absl::StatusOr<std::string> PostgresServer::Psql(const std::string& db,
                                                 const std::string& sql) {
  ASSIGN_OR_RETURN(RunResult r,
                   Run({absl::StrCat(kBin, "psql"), "-At", "-X", "-v",
                        "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                        absl::StrCat(port_), "-U", kUser, "-d", db, "-c", sql},
                       "", absl::Seconds(30), /*as_postgres=*/false));
  // psql exits 2 when it cannot reach the server (stopped, restarting).
  if (r.exit_code == 2) {
    return absl::UnavailableError(absl::StrCat("psql: ", Tail(r.err)));
  }
  if (r.exit_code != 0) return Failure("psql", r);
  if (absl::EndsWith(r.out, "\n")) r.out.pop_back();
  return r.out;
}

PostgresServer* SharedPostgresServer() {
  // Static destruction at exit runs ~PostgresServer.
  static const absl::StatusOr<std::unique_ptr<PostgresServer>> server = [] {
    absl::StatusOr<std::unique_ptr<PostgresServer>> started =
        PostgresServer::Start();
    if (!started.ok()) {
      fprintf(stderr, "SharedPostgresServer: %s\n",
              started.status().ToString().c_str());
    }
    return started;
  }();
  return server.ok() ? server->get() : nullptr;
}

}  // namespace tokend::testing
