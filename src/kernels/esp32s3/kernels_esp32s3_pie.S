// ESP32-S3 PIE int8 group dot products for esp32s3::matvec_q8 (see
// family.h, GroupDots). Built only with CONFIG_LLMCU_KERNELS_PIE_ASM
// (off by default): no assembler for these instructions runs in CI, so this
// file has never been assembled or run; the C++ around it is host-tested
// through a C model of the contract below.
//
// Every instruction and operand form here appears in esp-dsp's own S3
// assembly (dsps_dp_s8_aes3.S: wur.accx_0/1, ee.vld.128.ip,
// ee.vmulas.s8.accx.ld.ip, loopnez, rur.accx_0, s32i; dspm_mult_f32_aes3.S:
// entry, beqz, movi.n, addi, addi.n, blt around an inner loopnez, retw.n).
//
// Why not one dsps_dp_s8_aes3 call per group: a group of 64 values is four
// vector multiply-accumulates, fewer instructions than the call, its argument
// checks and its return. Here the four are all a group costs besides reading
// and clearing the accumulator.
//
// void llmcu_s3_dot_q8_groups(const int8_t *w, const int8_t *x, int32_t *sums,
//                             int32_t groups, int32_t blocks);
//   sums[g] = sum over i < blocks * 16 of w[g * blocks * 16 + i] * x[same]
//   for g < groups. w and x 16-byte aligned (the 128-bit loads ignore the
//   low four address bits), blocks >= 1. Like dsps_dp_s8_aes3 it loads one
//   16-byte block past the last group of w and of x.
//   |sum| <= blocks * 16 * 128 * 128, at most 2^26 for the largest group
//   size the loader accepts (kMaxGroupSize, 4096), so the low 32 bits of the
//   40-bit accumulator that rur.accx_0 returns are the whole sum.

	.text
	.align	4
	.global	llmcu_s3_dot_q8_groups
	.type	llmcu_s3_dot_q8_groups, @function

llmcu_s3_dot_q8_groups:
// w - a2, x - a3, sums - a4, groups - a5, blocks - a6
	entry	a1, 16
	beqz	a5, .llmcu_groups_done		// no group: read and write nothing

	// The first block of each vector. From here on, at the top of each
	// group, q0 and q1 hold that group's first blocks of w and x.
	ee.vld.128.ip	q0, a2, 16
	ee.vld.128.ip	q1, a3, 16
	movi.n	a9, 0				// groups done

.llmcu_groups_loop:
	movi.n	a8, 0
	wur.accx_0	a8			// clear the 40-bit accumulator
	wur.accx_1	a8
	// accx += q0 . q1 (16 int8 products) while q1 takes the next x block;
	// then q0 takes the next w block. After `blocks` rounds both hold the
	// next group's first blocks (past the end after the last group).
	loopnez	a6, .llmcu_blocks_end
		ee.vmulas.s8.accx.ld.ip	q1, a3, 16, q0, q1
		ee.vld.128.ip	q0, a2, 16
.llmcu_blocks_end:
	rur.accx_0	a8
	s32i	a8, a4, 0
	addi.n	a4, a4, 4
	addi	a9, a9, 1
	blt	a9, a5, .llmcu_groups_loop

.llmcu_groups_done:
	retw.n
