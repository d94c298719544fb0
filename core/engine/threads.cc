#include "core/engine/threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include "glog/logging.h"

namespace synesthesia::engine {

int ConfigureEncoderThreads(int threads) {
  const int applied = threads > 0 ? threads : 1;
  at::set_num_threads(applied);

  // OpenBLAS keeps its own thread pool, which at::set_num_threads does not
  // size. The symbol is looked up at run time because the BLAS behind
  // libblas.so.3 is chosen by Debian's alternatives and may not be OpenBLAS.
  using SetThreads = void (*)(int);
  auto* set_blas_threads =
      reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set_blas_threads != nullptr) set_blas_threads(applied);

  LOG(INFO) << "encoder arithmetic uses " << applied << " thread(s)"
            << (set_blas_threads != nullptr ? " (libtorch and OpenBLAS)" : " (libtorch)");
  return applied;
}

}  // namespace synesthesia::engine
