// SPDX-License-Identifier: GPL-3.0-or-later
// Renders a parsed Jinja template with Jinja2's semantics as transformers configures them
// (ImmutableSandboxedEnvironment, default Undefined, loop controls). Output is produced only
// when the whole template renders: any error throws TemplateError naming the line.
#pragma once

#include "text/jinjaparser.h"
#include "text/jinjavalue.h"

#include <ctime>
#include <functional>
#include <string>

namespace lathe::jinja {

struct RenderOptions {
    // Clock for strftime_now(); empty means the local time. Tests inject a fixed time.
    std::function<std::tm()> now;
    std::size_t maxOutputBytes = 32u << 20;
    int maxCallDepth = 64;
    std::int64_t maxSteps = 20'000'000; // statements and loop iterations
};

class JinjaInterpreter {
public:
    explicit JinjaInterpreter(RenderOptions options = {});

    // `context` must be a dict: the template's variables.
    std::string render(const Body &body, const Value &context);

    // Parses and renders in one step.
    static std::string renderString(
        const std::string &source, const Value &context, const RenderOptions &options = {});

private:
    RenderOptions m_options;
};

} // namespace lathe::jinja
