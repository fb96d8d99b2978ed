// SPDX-License-Identifier: GPL-3.0-or-later
// The corpus generator's random numbers: xoshiro256** seeded through splitmix64, with our own
// range mapping, so a seed gives the same corpus with every compiler and standard library
// (std:: distributions differ between implementations).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lathe::corpus {

class CorpusRng {
public:
    // `stream` separates independent sequences drawn from the same seed.
    explicit CorpusRng(std::uint64_t seed, std::uint64_t stream = 0)
    {
        std::uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);
        for (auto &s : m_s)
            s = splitmix(x);
    }

    std::uint64_t next()
    {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }

    // Uniform in [0, n); n > 0. Rejection keeps it exactly uniform.
    std::uint64_t below(std::uint64_t n)
    {
        const std::uint64_t threshold = (0 - n) % n;
        for (;;) {
            const std::uint64_t r = next();
            if (r >= threshold)
                return r % n;
        }
    }

    // Uniform integer in [lo, hi].
    int range(int lo, int hi)
    {
        return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi - lo + 1)));
    }

    // Uniform in [0, 1) with 53 bits.
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    bool chance(double p) { return unit() < p; }

    template <typename T> const T &pick(const std::vector<T> &v)
    {
        return v[static_cast<std::size_t>(below(v.size()))];
    }
    template <typename T, std::size_t N> const T &pick(const T (&v)[N])
    {
        return v[static_cast<std::size_t>(below(N))];
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix(std::uint64_t &x)
    {
        std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    std::uint64_t m_s[4];
};

} // namespace lathe::corpus
