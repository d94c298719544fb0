#include "core/engine/threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include "glog/logging.h"

namespace synesthesia::engine {

int ConfigureEncoderThreads(int threads) {
  if (threads <= 0) {
    LOG(INFO) << "encoder arithmetic uses libtorch's default of " << at::get_num_threads()
              << " thread(s)";
    return at::get_num_threads();
  }
  at::set_num_threads(threads);

  // OpenBLAS keeps its own thread pool, which at::set_num_threads does not
  // size. The symbol is looked up at run time because the BLAS behind
  // libblas.so.3 is chosen by Debian's alternatives and may not be OpenBLAS.
  using SetThreads = void (*)(int);
  auto* set_blas_threads =
      reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set_blas_threads != nullptr) set_blas_threads(threads);

  LOG(INFO) << "encoder arithmetic uses " << threads << " thread(s)"
            << (set_blas_threads != nullptr ? " in libtorch and OpenBLAS" : " in libtorch");
  return threads;
}

}  // namespace synesthesia::engine
