// The thread count of the encoder's arithmetic (libtorch intra-op threads
// and the OpenBLAS threads behind its matrix products).
#ifndef SYNESTHESIA_CORE_ENGINE_THREADS_H_
#define SYNESTHESIA_CORE_ENGINE_THREADS_H_

namespace synesthesia::engine {

// Sets the threads that libtorch and OpenBLAS use inside one forward pass,
// for the whole process, and returns the count applied. THREADS <= 0 applies
// the default: one thread. The scheduler runs one forward pass at a time on
// its worker, and the gRPC, completion and client threads need the other
// cores; idle OpenMP and OpenBLAS workers also spin for a while after each
// pass, which takes CPU from those threads. Call it before the first forward
// pass: libtorch reads the setting once per thread.
int ConfigureEncoderThreads(int threads);

}  // namespace synesthesia::engine

#endif  // SYNESTHESIA_CORE_ENGINE_THREADS_H_
