// The thread count of the encoder's arithmetic (libtorch intra-op threads
// and the OpenBLAS threads behind its matrix products).
#ifndef SYNESTHESIA_CORE_ENGINE_THREADS_H_
#define SYNESTHESIA_CORE_ENGINE_THREADS_H_

namespace synesthesia::engine {

// Sets the threads that libtorch and OpenBLAS use inside one forward pass,
// for the whole process, and returns the libtorch count in effect. THREADS
// <= 0 keeps the libraries' own choice: one thread per CPU of the affinity
// mask, or OMP_NUM_THREADS and OPENBLAS_NUM_THREADS when set. Call it before
// the first forward pass, because libtorch applies the setting to a thread
// when that thread first runs an operator.
int ConfigureEncoderThreads(int threads);

}  // namespace synesthesia::engine

#endif  // SYNESTHESIA_CORE_ENGINE_THREADS_H_
