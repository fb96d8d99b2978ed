// SPDX-License-Identifier: GPL-3.0-or-later
// Arithmetic of the demo corpus: "12 + 35 = 47" lines with non-negative results and 1-2 digit
// operands, keeping held-out sums out of the training text. Private to corpus/.
#pragma once

#include "corpus/corpusrng.h"

#include <string>
#include <tuple>

namespace lathe::corpus {

// True for the additions reserved for arithmeticProbes() (about one in ten).
bool isHeldOutSum(int a, int b);
// (a, b, minus) for a training line: a >= b for subtractions, never a held-out sum.
std::tuple<int, int, bool> trainingArithmetic(CorpusRng &rng);
// "12 + 35 = 47" or "50 - 8 = 42".
std::string arithmeticLine(int a, int b, bool minus);

} // namespace lathe::corpus
