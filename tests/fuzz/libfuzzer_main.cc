// The libFuzzer entry point of one target, chosen at compile time with
// -DSYNESTHESIA_FUZZ_FUNCTION=<one of the functions in fuzz_targets.h>.
#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return synesthesia::fuzz::SYNESTHESIA_FUZZ_FUNCTION(data, size);
}
