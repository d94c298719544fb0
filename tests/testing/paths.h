// Paths that tests use: the committed test data and scratch directories.
// Both come from the build (CMake definitions), never from absolute paths in
// the sources.
#ifndef SYNESTHESIA_TESTS_TESTING_PATHS_H_
#define SYNESTHESIA_TESTS_TESTING_PATHS_H_

#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace synesthesia::testing {

// The file or directory RELATIVE under tests/data.
inline std::string TestDataPath(std::string_view relative) {
  return (std::filesystem::path(SYNESTHESIA_TEST_DATA_DIR) / relative).string();
}

// The file RELATIVE under the build directory, for binaries built by CMake.
inline std::string BuildPath(std::string_view relative) {
  return (std::filesystem::path(SYNESTHESIA_BUILD_DIR) / relative).string();
}

// A fresh, empty directory for this test under the system temporary
// directory, removed and recreated on each call with the same NAME in the
// same process. The process id keeps parallel ctest runs apart.
inline std::string ScratchDirectory(std::string_view name) {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("synesthesia-test-" + std::to_string(getpid()) + "-" + std::string(name));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path.string();
}

}  // namespace synesthesia::testing

#endif  // SYNESTHESIA_TESTS_TESTING_PATHS_H_
