#include "core/model/packed_linear.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <map>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <oneapi/dnnl/dnnl.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace synesthesia::model {
namespace {

using Desc = dnnl::memory::desc;
using DataType = dnnl::memory::data_type;
using Tag = dnnl::memory::format_tag;

const dnnl::engine& CpuEngine() {
  static const dnnl::engine* const engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

dnnl::primitive_attr UserScratchpad() {
  dnnl::primitive_attr attributes;
  // The caller passes the scratch memory, so that concurrent calls of one
  // kernel never share it.
  attributes.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attributes;
}

dnnl::primitive_attr Attributes(int64_t rows, int64_t out, const PackedLinearEpilogue& epilogue) {
  dnnl::primitive_attr attributes = UserScratchpad();
  dnnl::post_ops operations;
  switch (epilogue.activation) {
    case PackedLinearEpilogue::Activation::kNone:
      break;
    case PackedLinearEpilogue::Activation::kGelu:
      operations.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
      break;
    case PackedLinearEpilogue::Activation::kRelu:
      operations.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      break;
  }
  if (epilogue.add_residual) {
    operations.append_binary(dnnl::algorithm::binary_add, Desc({rows, out}, DataType::f32, Tag::ab));
  }
  attributes.set_post_ops(operations);
  return attributes;
}

// The index of the residual among the post-operations' arguments.
int ResidualArgument(const PackedLinearEpilogue& epilogue) {
  const int index = epilogue.activation == PackedLinearEpilogue::Activation::kNone ? 0 : 1;
  return DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1;
}

dnnl::matmul::primitive_desc MatmulDesc(int64_t rows, int64_t in, int64_t out, const Desc& weights,
                                        const PackedLinearEpilogue& epilogue) {
  const Desc source({rows, in}, DataType::f32, Tag::ab);
  const Desc bias({1, out}, DataType::f32, Tag::ab);
  const Desc destination({rows, out}, DataType::f32, Tag::ab);
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(source, weights, bias, destination),
                                      Attributes(rows, out, epilogue), CpuEngine());
}

// Sets the calling thread's OpenMP team size, which oneDNN's kernels use,
// and restores it on destruction: libtorch reads the same setting for its
// own intra-op threads.
class OpenMpThreads {
 public:
  explicit OpenMpThreads(int threads) : previous_(omp_get_max_threads()) {
    if (threads != previous_) omp_set_num_threads(threads);
  }
  ~OpenMpThreads() {
    if (omp_get_max_threads() != previous_) omp_set_num_threads(previous_);
  }
  OpenMpThreads(const OpenMpThreads&) = delete;
  OpenMpThreads& operator=(const OpenMpThreads&) = delete;

 private:
  int previous_;
};

}  // namespace

int64_t PackedLinearBlockRows(int64_t rows) {
  if (rows < 2 * kPackedLinearBlockRows) return std::min(rows, kPackedLinearBlockRows);
  return std::min(static_cast<int64_t>(std::bit_floor(static_cast<uint64_t>(rows))),
                  kPackedLinearLargestBlockRows);
}

// The kernels for one layer shape ([in] -> [out]) and epilogue: the packed
// weight layout and one matmul per block row count, made on first use.
class PackedMatmulKernels {
 public:
  struct Kernel {
    dnnl::matmul::primitive_desc desc;
    dnnl::matmul primitive;
    Desc source;
    Desc destination;
    int64_t scratchpad_bytes = 0;
  };

  PackedMatmulKernels(int64_t in, int64_t out, PackedLinearEpilogue epilogue)
      : in_(in),
        out_(out),
        epilogue_(epilogue),
        weights_(MatmulDesc(kPackedLinearBlockRows, in, out,
                            Desc({in, out}, DataType::f32, Tag::any), epilogue)
                     .weights_desc()) {}

  // The packed weight layout every kernel of this shape reads.
  const Desc& weights() const { return weights_; }

  // The kernel for blocks of ROWS rows, a value PackedLinearBlockRows
  // returns.
  const Kernel& Get(int64_t rows) ABSL_LOCKS_EXCLUDED(mutex_) {
    absl::MutexLock lock(&mutex_);
    std::unique_ptr<Kernel>& kernel = kernels_[KernelIndex(rows)];
    if (kernel == nullptr) {
      dnnl::matmul::primitive_desc desc = MatmulDesc(rows, in_, out_, weights_, epilogue_);
      kernel = std::make_unique<Kernel>(Kernel{desc, dnnl::matmul(desc), desc.src_desc(),
                                               desc.dst_desc(),
                                               static_cast<int64_t>(desc.scratchpad_desc().get_size())});
    }
    return *kernel;
  }

  // The kernels of shape [IN] -> [OUT] with EPILOGUE, shared by every layer
  // that has both.
  static std::shared_ptr<PackedMatmulKernels> ForShape(int64_t in, int64_t out,
                                                       PackedLinearEpilogue epilogue) {
    using Key = std::tuple<int64_t, int64_t, PackedLinearEpilogue::Activation, bool>;
    static absl::Mutex* const mutex = new absl::Mutex;
    static auto* const shapes = new std::map<Key, std::shared_ptr<PackedMatmulKernels>>;
    absl::MutexLock lock(mutex);
    std::shared_ptr<PackedMatmulKernels>& kernels =
        (*shapes)[Key{in, out, epilogue.activation, epilogue.add_residual}];
    if (kernels == nullptr) kernels = std::make_shared<PackedMatmulKernels>(in, out, epilogue);
    return kernels;
  }

 private:
  // Large blocks are powers of two from 2·kPackedLinearBlockRows up.
  static constexpr size_t kLargeBlockSizes =
      std::bit_width(static_cast<uint64_t>(kPackedLinearLargestBlockRows / kPackedLinearBlockRows)) - 1;

  // Returns the slot of the kernel for ROWS rows: ROWS - 1 up to
  // kPackedLinearBlockRows, then one slot per large block size.
  static size_t KernelIndex(int64_t rows) {
    if (rows <= kPackedLinearBlockRows) return static_cast<size_t>(rows - 1);
    return static_cast<size_t>(kPackedLinearBlockRows) - 1 +
           static_cast<size_t>(std::bit_width(static_cast<uint64_t>(rows / kPackedLinearBlockRows)) - 1);
  }

  const int64_t in_;
  const int64_t out_;
  const PackedLinearEpilogue epilogue_;
  const Desc weights_;
  absl::Mutex mutex_;
  std::array<std::unique_ptr<Kernel>, kPackedLinearBlockRows + kLargeBlockSizes> kernels_
      ABSL_GUARDED_BY(mutex_);
};

struct PackedLinear::Packed {
  torch::Tensor bias;  // [1, out], owned here, read by oneDNN
  dnnl::memory weights;
  dnnl::memory bias_memory;
};

PackedLinear::PackedLinear(const torch::Tensor& weight, const torch::Tensor& bias, int threads,
                           PackedLinearEpilogue epilogue)
    : threads_(std::max(threads, 1)), epilogue_(epilogue) {
  const torch::Tensor plain = weight.detach().to(torch::kFloat32).contiguous();
  const int64_t out = plain.size(0);
  const int64_t in = plain.size(1);
  kernels_ = PackedMatmulKernels::ForShape(in, out, epilogue);

  packed_ = std::make_unique<Packed>();
  packed_->bias = bias.detach().to(torch::kFloat32).contiguous().clone().view({1, out});
  packed_->bias_memory = dnnl::memory(Desc({1, out}, DataType::f32, Tag::ab), CpuEngine(),
                                      packed_->bias.data_ptr<float>());
  // WEIGHT [out, in] in row-major order is the [in, out] matrix the matmul
  // multiplies by, stored column by column (tag ba).
  dnnl::memory source(Desc({in, out}, DataType::f32, Tag::ba), CpuEngine(), plain.data_ptr<float>());
  packed_->weights = dnnl::memory(kernels_->weights(), CpuEngine());
  dnnl::stream stream(CpuEngine());
  dnnl::reorder(source, packed_->weights).execute(stream, source, packed_->weights);
  stream.wait();
}

PackedLinear::~PackedLinear() = default;

torch::Tensor PackedLinear::Forward(const torch::Tensor& input, const torch::Tensor& residual) const {
  const torch::Tensor rows_in = input.to(torch::kFloat32).contiguous();
  const int64_t rows = rows_in.size(0);
  const int64_t in = rows_in.size(1);
  const int64_t out = packed_->bias.size(1);
  torch::Tensor residual_rows;
  if (epilogue_.add_residual) {
    TORCH_CHECK(residual.defined() && residual.dim() == 2 && residual.size(0) == rows &&
                    residual.size(1) == out,
                "PackedLinear: the epilogue adds a residual, which must be [", rows, ", ", out, "]");
    residual_rows = residual.to(torch::kFloat32).contiguous();
  }
  torch::Tensor output = torch::empty({rows, out}, rows_in.options());
  if (rows == 0) return output;

  OpenMpThreads threads(threads_);
  dnnl::stream stream(CpuEngine());
  float* source_data = rows_in.data_ptr<float>();
  float* output_data = output.data_ptr<float>();
  torch::Tensor scratch;
  for (int64_t first = 0, block = 0; first < rows; first += block) {
    block = PackedLinearBlockRows(rows - first);
    const PackedMatmulKernels::Kernel& kernel = kernels_->Get(block);
    if (!scratch.defined() || scratch.numel() < kernel.scratchpad_bytes) {
      scratch = torch::empty({std::max<int64_t>(kernel.scratchpad_bytes, 1)}, torch::kUInt8);
    }
    dnnl::memory source(kernel.source, CpuEngine(), source_data + first * in);
    dnnl::memory destination(kernel.destination, CpuEngine(), output_data + first * out);
    dnnl::memory scratchpad(kernel.desc.scratchpad_desc(), CpuEngine(), scratch.data_ptr());
    std::unordered_map<int, dnnl::memory> arguments = {{DNNL_ARG_SRC, source},
                                                       {DNNL_ARG_WEIGHTS, packed_->weights},
                                                       {DNNL_ARG_BIAS, packed_->bias_memory},
                                                       {DNNL_ARG_DST, destination},
                                                       {DNNL_ARG_SCRATCHPAD, scratchpad}};
    if (epilogue_.add_residual) {
      arguments.emplace(ResidualArgument(epilogue_),
                        dnnl::memory(kernel.destination, CpuEngine(),
                                     residual_rows.data_ptr<float>() + first * out));
    }
    kernel.primitive.execute(stream, arguments);
  }
  stream.wait();
  return output;
}

}  // namespace synesthesia::model
