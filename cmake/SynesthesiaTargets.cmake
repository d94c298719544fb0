# Helpers that give every Synesthesia target the same compiler settings.

# Applies the project's warnings (errors when SYNESTHESIA_WERROR is on) and
# sanitizer flags to TARGET. Third-party headers come in as SYSTEM includes
# through their imported targets, so their warnings do not count.
function(synesthesia_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wnon-virtual-dtor
    $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
    $<$<BOOL:${SYNESTHESIA_WERROR}>:-Werror>)
  # The sanitizers' instrumentation makes g++ 12 report maybe-uninitialized
  # values inside libtorch's headers that the plain build does not.
  if(SYNESTHESIA_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

# Sanitizers apply to every target, ours and generated, so that instrumented
# and uninstrumented code never share one object.
if(SYNESTHESIA_SANITIZE)
  add_compile_options(-fsanitize=${SYNESTHESIA_SANITIZE} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${SYNESTHESIA_SANITIZE})
  if(SYNESTHESIA_SANITIZE MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()

# SYNESTHESIA_FUZZ instruments every target for libFuzzer with AddressSanitizer
# and UndefinedBehaviorSanitizer; tests/fuzz adds the fuzzer binaries.
if(SYNESTHESIA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SYNESTHESIA_FUZZ needs clang (libFuzzer); configure with "
                        "-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()

# Adds a static library NAME with the alias synesthesia::NAME.
function(synesthesia_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;HDRS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(synesthesia_${name} STATIC ${ARG_SRCS} ${ARG_HDRS})
  add_library(synesthesia::${name} ALIAS synesthesia_${name})
  target_include_directories(synesthesia_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
  target_link_libraries(synesthesia_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  synesthesia_target_defaults(synesthesia_${name})
endfunction()
