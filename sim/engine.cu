// The Thrust engine, compiled once per backend (namespace phsim::cpu or phsim::cuda).
#include <thrust/execution_policy.h>
#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>

#include <memory>
#include <string>
#include <vector>

#include "kernels/atomic.hpp"
#include "kernels/synthesis.hpp"
#include "sim/backend_factory.hpp"
#include "sim/device_state.hpp"
#include "sim/engine.hpp"
#include "sim/errors.hpp"
#include "sim/population.hpp"

#ifndef PHSIM_BACKEND_NS
#error "PHSIM_BACKEND_NS must be defined (cpu or cuda)"
#endif

namespace phsim {
namespace PHSIM_BACKEND_NS {
namespace {

/// Synthesis tables in device memory; view() gives the POD the functor reads.
struct DeviceSynthesisTables {
  thrust::device_vector<std::uint64_t> contract_begin;
  thrust::device_vector<std::uint8_t> contract_county;
  thrust::device_vector<std::uint64_t> age_cum;
  thrust::device_vector<std::int32_t> age_lo_months, age_span_months;
  thrust::device_vector<std::uint8_t> sex_group_of_age;
  thrust::device_vector<std::uint64_t> female_threshold, race_cum, language_cum;
  thrust::device_vector<std::uint8_t> aid_group_of_age;
  thrust::device_vector<std::uint64_t> aid_cum;
  thrust::device_vector<std::uint32_t> practice_begin, practice_count;
  thrust::device_vector<std::uint64_t> practice_cum;

  explicit DeviceSynthesisTables(const SynthesisTables& t)
      : contract_begin(to_device(t.contract_begin)),
        contract_county(to_device(t.contract_county)),
        age_cum(to_device(t.age_cum)),
        age_lo_months(to_device(t.age_lo_months)),
        age_span_months(to_device(t.age_span_months)),
        sex_group_of_age(to_device(t.sex_group_of_age)),
        female_threshold(to_device(t.female_threshold)),
        race_cum(to_device(t.race_cum)),
        language_cum(to_device(t.language_cum)),
        aid_group_of_age(to_device(t.aid_group_of_age)),
        aid_cum(to_device(t.aid_cum)),
        practice_begin(to_device(t.practice_begin)),
        practice_count(to_device(t.practice_count)),
        practice_cum(to_device(t.practice_cum)) {}

  SynthesisTablesView view() const {
    return SynthesisTablesView{raw(contract_begin),
                               raw(contract_county),
                               static_cast<std::uint32_t>(contract_county.size()),
                               raw(age_cum),
                               raw(age_lo_months),
                               raw(age_span_months),
                               static_cast<std::uint32_t>(age_cum.size()),
                               raw(sex_group_of_age),
                               raw(female_threshold),
                               raw(race_cum),
                               raw(language_cum),
                               raw(aid_group_of_age),
                               raw(aid_cum),
                               raw(practice_begin),
                               raw(practice_count),
                               raw(practice_cum)};
  }
};

/// Adds one to the (replicate, contract) cell of each enrolled member.
struct CountEnrolled {
  MemberView m_members;
  unsigned long long* m_counts;
  std::uint64_t m_members_per_replicate;
  std::uint32_t m_contracts;

  PHSIM_HD void operator()(std::uint64_t index) const {
    if (!(m_members.enrollment[index] & kEnrolled)) return;
    const auto replicate = index / m_members_per_replicate;
    atomic_add(&m_counts[replicate * m_contracts + m_members.contract[index]], 1ull);
  }
};

class ThrustEngine final : public Engine {
 public:
  ThrustEngine(const EngineOptions& options, int threads) : m_options(options), m_threads(threads) {}

  Backend backend() const override { return m_options.backend; }

  std::string device_name() const override {
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    return cuda::device_name(m_options.device);
#else
    return cpu_name();
#endif
  }

  int threads() const override { return m_threads; }

  void synthesize(const SynthesisTables& tables, std::uint32_t seed, std::uint32_t replicates,
                  std::int32_t start_month) override {
    m_members_per_replicate = tables.members;
    m_replicates = replicates;
    const std::uint64_t n = tables.members * replicates;
    m_state.resize(n);
    const DeviceSynthesisTables device_tables(tables);
    thrust::for_each(thrust::device, thrust::counting_iterator<std::uint64_t>(0),
                     thrust::counting_iterator<std::uint64_t>(n),
                     SynthesizeMember{m_state.view(), device_tables.view(), seed, tables.members,
                                      start_month});
  }

  std::vector<std::int64_t> count_enrolled(std::size_t contracts) override {
    thrust::device_vector<unsigned long long> counts(m_replicates * contracts, 0ull);
    const std::uint64_t n = m_state.size();
    thrust::for_each(thrust::device, thrust::counting_iterator<std::uint64_t>(0),
                     thrust::counting_iterator<std::uint64_t>(n),
                     CountEnrolled{m_state.view(), raw(counts), m_members_per_replicate,
                                   static_cast<std::uint32_t>(contracts)});
    const auto host = to_host(counts);
    return std::vector<std::int64_t>(host.begin(), host.end());
  }

  std::uint64_t size() const override { return m_state.size(); }
  std::uint32_t replicates() const override { return m_replicates; }

  HostMembers download() const override {
    HostMembers h;
#define PHSIM_DOWNLOAD_FIELD(T, name, doc) h.name = to_host(m_state.name);
    PHSIM_MEMBER_FIELDS(PHSIM_DOWNLOAD_FIELD)
#undef PHSIM_DOWNLOAD_FIELD
    return h;
  }

 private:
  EngineOptions m_options;
  int m_threads;
  DeviceMembers m_state;
  std::uint64_t m_members_per_replicate = 0;
  std::uint32_t m_replicates = 0;
};

}  // namespace

std::unique_ptr<Engine> make_thrust_engine(const EngineOptions& options) {
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
  return std::make_unique<ThrustEngine>(options, 1);
#else
  return std::make_unique<ThrustEngine>(options, cpu::set_threads(options.threads));
#endif
}

}  // namespace PHSIM_BACKEND_NS
}  // namespace phsim
