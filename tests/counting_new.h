// A global operator new that counts, for the tests that prove a code path
// allocates nothing. Link counting_new.cpp into the test binary (it replaces
// operator new and delete for the whole program).
#pragma once

namespace llmcu::test {

// Heap allocations made through operator new since the program started.
long heap_allocations();

}  // namespace llmcu::test
