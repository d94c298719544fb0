#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace synesthesia::testing {
namespace {

// Time between two checks of whether the child has exited.
constexpr absl::Duration kPollInterval = absl::Milliseconds(10);

std::string ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// A new empty file under the temporary directory, for captured output.
absl::StatusOr<std::string> MakeTempFile(const char* purpose) {
  std::string pattern = absl::StrCat(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp",
                                     "/synesthesia-", purpose, "-XXXXXX");
  const int fd = mkstemp(pattern.data());
  if (fd < 0) return absl::ErrnoToStatus(errno, "mkstemp");
  close(fd);
  return pattern;
}

std::vector<std::string> ChildEnvironment(const SubprocessOptions& options) {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string variable(*entry);
    const std::string name = variable.substr(0, variable.find('='));
    bool replaced = options.set_environment.contains(name);
    for (const std::string& unset : options.unset_environment) replaced |= unset == name;
    if (!replaced) environment.push_back(variable);
  }
  for (const auto& [name, value] : options.set_environment) {
    environment.push_back(absl::StrCat(name, "=", value));
  }
  return environment;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const SubprocessOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("argv is empty");
  std::unique_ptr<Subprocess> process(new Subprocess());

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group, so that the destructor can kill a whole pipeline.
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);

  int stdin_read_end = -1;
  if (options.stdin_pipe) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
    stdin_read_end = fds[0];
    process->stdin_fd_ = fds[1];
    posix_spawn_file_actions_adddup2(&actions, stdin_read_end, STDIN_FILENO);
  } else if (options.stdin_data.has_value()) {
    absl::StatusOr<std::string> path = MakeTempFile("stdin");
    if (!path.ok()) return path.status();
    process->stdin_path_ = *path;
    std::ofstream(*path, std::ios::binary) << *options.stdin_data;
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, process->stdin_path_.c_str(),
                                     O_RDONLY, 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }

  int terminal_child_end = -1;
  if (options.stdout_terminal) {
    int controller = -1;
    if (openpty(&controller, &terminal_child_end, nullptr, nullptr, nullptr) != 0) {
      return absl::ErrnoToStatus(errno, "openpty");
    }
    termios settings;
    tcgetattr(terminal_child_end, &settings);
    settings.c_oflag &= ~OPOST;
    tcsetattr(terminal_child_end, TCSANOW, &settings);
    fcntl(controller, F_SETFD, FD_CLOEXEC);
    fcntl(terminal_child_end, F_SETFD, FD_CLOEXEC);
    process->terminal_fd_ = controller;
    posix_spawn_file_actions_adddup2(&actions, terminal_child_end, STDOUT_FILENO);
  } else {
    absl::StatusOr<std::string> path = MakeTempFile("stdout");
    if (!path.ok()) return path.status();
    process->stdout_path_ = *path;
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, process->stdout_path_.c_str(),
                                     O_WRONLY | O_TRUNC, 0);
  }
  absl::StatusOr<std::string> stderr_path = MakeTempFile("stderr");
  if (!stderr_path.ok()) return stderr_path.status();
  process->stderr_path_ = *stderr_path;
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, process->stderr_path_.c_str(),
                                   O_WRONLY | O_TRUNC, 0);
  if (!options.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_directory.c_str());
  }

  std::vector<std::string> argv = options.argv;
  std::vector<std::string> environment = ChildEnvironment(options);
  std::vector<char*> argv_pointers = Pointers(argv);
  std::vector<char*> environment_pointers = Pointers(environment);
  const int error = posix_spawnp(&process->pid_, argv[0].c_str(), &actions, &attributes,
                                 argv_pointers.data(), environment_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (stdin_read_end >= 0) close(stdin_read_end);
  if (terminal_child_end >= 0) close(terminal_child_end);
  if (error != 0) {
    process->pid_ = -1;
    return absl::ErrnoToStatus(error, absl::StrCat("cannot start ", argv[0]));
  }

  if (process->terminal_fd_ >= 0) {
    Subprocess* raw = process.get();
    process->terminal_reader_ = std::thread([raw] {
      char buffer[4096];
      while (true) {
        const ssize_t n = read(raw->terminal_fd_, buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR) continue;
        // EIO once the child side is closed.
        if (n <= 0) break;
        std::lock_guard lock(raw->terminal_mutex_);
        raw->terminal_output_.append(buffer, static_cast<size_t>(n));
      }
    });
  }
  return process;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !Poll()) {
    kill(-pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  CloseStdin();
  if (terminal_reader_.joinable()) terminal_reader_.join();
  if (terminal_fd_ >= 0) close(terminal_fd_);
  for (const std::string& path : {stdout_path_, stderr_path_, stdin_path_}) {
    if (!path.empty()) unlink(path.c_str());
  }
}

absl::Status Subprocess::WriteStdin(const std::string& data) {
  if (stdin_fd_ < 0) return absl::FailedPreconditionError("standard input is not an open pipe");
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = write(stdin_fd_, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "write to the child's standard input");
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

void Subprocess::CloseStdin() {
  if (stdin_fd_ >= 0) {
    close(stdin_fd_);
    stdin_fd_ = -1;
  }
}

bool Subprocess::Poll() {
  if (exit_code_.has_value()) return true;
  siginfo_t info{};
  // WNOWAIT leaves the child a zombie, so its pid, which is also the process
  // group id, cannot be reused before the group is killed below.
  if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
      info.si_pid == 0) {
    return false;
  }
  // Whatever the child started in its group goes with it.
  kill(-pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

bool Subprocess::Running() { return !Poll(); }

void Subprocess::Signal(int signal) {
  if (!Poll()) kill(-pid_, signal);
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!Poll()) {
    if (absl::Now() >= give_up) {
      return absl::DeadlineExceededError(
          absl::StrCat("process ", pid_, " still runs after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(kPollInterval);
  }
  return *exit_code_;
}

std::string Subprocess::Stdout() const {
  if (terminal_fd_ >= 0) {
    std::lock_guard lock(terminal_mutex_);
    return terminal_output_;
  }
  return ReadWholeFile(stdout_path_);
}

void Subprocess::AwaitOutputClosed() {
  if (terminal_reader_.joinable()) terminal_reader_.join();
}

std::string Subprocess::Stderr() const { return ReadWholeFile(stderr_path_); }

absl::StatusOr<CommandResult> RunCommand(const SubprocessOptions& options,
                                         absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(options);
  if (!process.ok()) return process.status();
  absl::StatusOr<int> exit_code = (*process)->Wait(timeout);
  if (!exit_code.ok()) {
    return absl::DeadlineExceededError(absl::StrCat(
        options.argv[0], " did not finish within ", absl::FormatDuration(timeout),
        "; its standard error so far:\n", (*process)->Stderr()));
  }
  (*process)->AwaitOutputClosed();
  CommandResult result;
  result.exit_code = *exit_code;
  result.stdout_text = (*process)->Stdout();
  result.stderr_text = (*process)->Stderr();
  return result;
}

}  // namespace synesthesia::testing
