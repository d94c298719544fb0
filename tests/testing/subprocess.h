// Child processes for end-to-end tests: start a binary with its own
// arguments, environment and standard input, capture its output, wait for it
// with a timeout, and kill it (with everything it started) when the test
// ends, even on failure.
#ifndef SYNESTHESIA_TESTS_TESTING_SUBPROCESS_H_
#define SYNESTHESIA_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace synesthesia::testing {

struct SubprocessOptions {
  // The program (found on PATH when it has no slash) and its arguments;
  // argv[0] is the program.
  std::vector<std::string> argv;
  // Variables set in, or removed from, a copy of this process's environment.
  std::map<std::string, std::string> set_environment;
  std::vector<std::string> unset_environment;
  // Standard input: these bytes when set (then end of file), else
  // /dev/null, unless stdin_pipe is true.
  std::optional<std::string> stdin_data;
  // Standard input is a pipe written with Subprocess::WriteStdin.
  bool stdin_pipe = false;
  // Standard output is a pseudo-terminal (isatty() is true in the child),
  // with output post-processing off, so "\n" stays "\n".
  bool stdout_terminal = false;
  // Working directory of the child; empty keeps this process's.
  std::string working_directory;
};

// A running child process in its own process group. The destructor kills
// the group with SIGKILL and reaps the child.
class Subprocess {
 public:
  // Starts the child. Fails when the program cannot be started.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const SubprocessOptions& options);

  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Writes DATA to the child's standard input (stdin_pipe only).
  absl::Status WriteStdin(const std::string& data);
  // Closes the child's standard input, so that it reads end of file.
  void CloseStdin();

  // Waits up to TIMEOUT for the child to exit and returns its exit code, or
  // 128 + the signal number when a signal ended it. DEADLINE_EXCEEDED when
  // it is still running (it keeps running).
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // Whether the child has not exited yet.
  bool Running();
  // Sends SIGNAL to the child's process group.
  void Signal(int signal);

  // What the child has written so far. With stdout_terminal, call
  // AwaitOutputClosed first to get everything.
  std::string Stdout() const;
  std::string Stderr() const;

  // After Wait has seen the child exit: waits until the terminal's output is
  // read to the end.
  void AwaitOutputClosed();

  pid_t pid() const { return pid_; }

 private:
  Subprocess() = default;
  // Reaps the child if it has exited, after killing the rest of its process
  // group; returns whether it has exited.
  bool Poll();

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  int stdin_fd_ = -1;
  std::string stdout_path_;
  std::string stderr_path_;
  std::string stdin_path_;
  // The pseudo-terminal's controller side, drained by terminal_reader_.
  int terminal_fd_ = -1;
  std::thread terminal_reader_;
  mutable std::mutex terminal_mutex_;
  std::string terminal_output_;
};

struct CommandResult {
  int exit_code = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs a child to completion within TIMEOUT; DEADLINE_EXCEEDED (and the
// child killed) when it takes longer.
absl::StatusOr<CommandResult> RunCommand(const SubprocessOptions& options,
                                         absl::Duration timeout);

}  // namespace synesthesia::testing

#endif  // SYNESTHESIA_TESTS_TESTING_SUBPROCESS_H_
