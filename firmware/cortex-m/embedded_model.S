/* The model and tokenizer files, copied into the image at build time and read in place from
 * code memory (flash on a real board): the core never copies weights, so this costs no RAM.
 * LLMCU_MCU_MODEL_FILE / LLMCU_MCU_TOKENIZER_FILE are the paths, set by CMakeLists.txt
 * (which also makes this object depend on the two files; the assembler reports none).
 * 64-byte alignment: every float of the model is then aligned (its header is 28 bytes), and
 * it is the alignment the model container uses. */
  .section .rodata.llmcu_embedded, "a", %progbits

  .balign 64
  .global llmcu_embedded_model
  .type llmcu_embedded_model, %object
llmcu_embedded_model:
  .incbin LLMCU_MCU_MODEL_FILE
  .global llmcu_embedded_model_end
llmcu_embedded_model_end:
  .size llmcu_embedded_model, llmcu_embedded_model_end - llmcu_embedded_model

  .balign 64
  .global llmcu_embedded_tokenizer
  .type llmcu_embedded_tokenizer, %object
llmcu_embedded_tokenizer:
  .incbin LLMCU_MCU_TOKENIZER_FILE
  .global llmcu_embedded_tokenizer_end
llmcu_embedded_tokenizer_end:
  .size llmcu_embedded_tokenizer, llmcu_embedded_tokenizer_end - llmcu_embedded_tokenizer
