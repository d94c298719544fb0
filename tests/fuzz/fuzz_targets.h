// Fuzz targets: each function takes one input of any bytes, runs a parser or
// loader of Synesthesia on it and aborts (through FUZZ_CHECK or a sanitizer)
// when an invariant breaks. Every target returns 0, as libFuzzer expects.
//
// The same functions run in two places: in libFuzzer binaries built with
// clang (SYNESTHESIA_FUZZ=ON, see tests/fuzz/CMakeLists.txt) and in the
// regular test suite, which replays every committed input under
// tests/fuzz/<target>/.
#ifndef SYNESTHESIA_TESTS_FUZZ_FUZZ_TARGETS_H_
#define SYNESTHESIA_TESTS_FUZZ_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace synesthesia::fuzz {

// Tokenizer::Tokenize with the bert-base-uncased vocabulary; the first byte
// selects the tokenizer options.
int FuzzTokenizer(const uint8_t* data, size_t size);
// SafetensorsFile::FromBytes, then every tensor read back.
int FuzzSafetensors(const uint8_t* data, size_t size);
// DistilBertConfig::FromJson, then a serialization round trip.
int FuzzConfig(const uint8_t* data, size_t size);
// Model::Load on a directory written from the input (format in
// model_directory_fuzzer.cc), then one forward pass when it loads.
int FuzzModelDirectory(const uint8_t* data, size_t size);
// The server's request handling on raw protobuf bytes: parsing into the
// lenient wire messages, option conversion and validation, then colouring
// with distilbert-tiny (format in request_fuzzer.cc).
int FuzzRequest(const uint8_t* data, size_t size);

// Prints MESSAGE with the failed condition and aborts, so that libFuzzer
// keeps the input and a replay test fails.
[[noreturn]] inline void FuzzCheckFailed(const char* condition, const char* message,
                                         const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant '%s' failed: %s\n", file, line, condition, message);
  std::abort();
}

}  // namespace synesthesia::fuzz

#define FUZZ_CHECK(condition, message)                                                    \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      ::synesthesia::fuzz::FuzzCheckFailed(#condition, message, __FILE__, __LINE__);      \
    }                                                                                     \
  } while (false)

#endif  // SYNESTHESIA_TESTS_FUZZ_FUZZ_TARGETS_H_
