import CostLedger

/// The demo's model provider: answers every call with a Chat Completions body shaped as OpenAI documents it
/// (`usage` with `prompt_tokens_details.cached_tokens` and `completion_tokens_details.reasoning_tokens`), so
/// the wrapper meters the demo's calls through the same adapter as real ones.
enum DemoProvider {
    /// The response body for one call of `model` that used `usage`.
    static func chatCompletion(model: String, usage: TokenUsage, seed: UInt64) -> [UInt8] {
        let id = String(seed, radix: 36)
        let body = """
            {"id":"chatcmpl-demo\(id)","object":"chat.completion","created":\(1_764_000_000 + seed % 100_000),\
            "model":"\(model)","choices":[{"index":0,"message":{"role":"assistant","content":"Done.",\
            "refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":\(usage.input),"completion_tokens":\(usage.output),\
            "total_tokens":\(usage.input + usage.output),\
            "prompt_tokens_details":{"cached_tokens":\(usage.cachedInput),"audio_tokens":0},\
            "completion_tokens_details":{"reasoning_tokens":\(usage.reasoning),"audio_tokens":0,\
            "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},\
            "service_tier":"default","system_fingerprint":"fp_demo"}
            """
        return Array(body.utf8)
    }
}
