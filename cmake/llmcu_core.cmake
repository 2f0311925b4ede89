# The portable core: no exceptions, no RTTI, no OS. Shared by the host build,
# the Cortex-M image and the ESP-IDF component.
set(LLMCU_ROOT "${CMAKE_CURRENT_LIST_DIR}/..")
set(LLMCU_WARNINGS -Wall -Wextra -Werror)

set(LLMCU_CORE_SOURCES
  ${LLMCU_ROOT}/src/core/status.cpp
  ${LLMCU_ROOT}/src/core/arena.cpp
  ${LLMCU_ROOT}/src/core/model_loader.cpp
  ${LLMCU_ROOT}/src/core/tokenizer.cpp
  ${LLMCU_ROOT}/src/core/sampler.cpp
  ${LLMCU_ROOT}/src/core/transformer.cpp
  ${LLMCU_ROOT}/src/core/memory_plan.cpp
  ${LLMCU_ROOT}/src/core/generator.cpp
  ${LLMCU_ROOT}/src/core/quantize.cpp
  ${LLMCU_ROOT}/src/core/evaluate.cpp
  ${LLMCU_ROOT}/src/kernels/ref/kernels_ref.cpp
  ${LLMCU_ROOT}/src/kernels/ref/kernels_q8_ref.cpp
  ${LLMCU_ROOT}/src/kernels/x86/kernels_q8_avx2.cpp)

add_library(llmcu_core STATIC ${LLMCU_CORE_SOURCES})
target_include_directories(llmcu_core
  PUBLIC ${LLMCU_ROOT}/include
  PRIVATE ${LLMCU_ROOT}/src)
target_compile_options(llmcu_core PRIVATE
  ${LLMCU_WARNINGS}
  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>
  # Bit-exact with llama2.c's reference build: no FMA contraction, no fast-math.
  -ffp-contract=off)
