using System.Text;
using AttentionGen.Tests.Numeric;

namespace AttentionGen.Tests.Weights;

/// <summary>
/// The generated <c>CheckConfig</c>: a Hugging Face config.json that states the declaration's options passes, one that
/// states any differently is refused naming each, and keys a config lacks or holds as null are not compared.
/// </summary>
public sealed class HuggingFaceConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("attentiongen-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json, Encoding.UTF8);
        return path;
    }

    // DecoderLlamaTiny: 2 layers, dim 32, 4 heads on 2 KV heads of 8, FFN 48, vocab 64, RMSNorm 1e-5, θ 10000, SwiGLU.
    private const string LlamaTinyConfig = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama", "torch_dtype": "float32",
          "hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 2,
          "intermediate_size": 48, "vocab_size": 64, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
          "hidden_act": "silu", "tie_word_embeddings": false, "max_position_embeddings": 2048, "rope_scaling": null
        }
        """;

    [Fact]
    public void AConfigStatingTheDeclaredOptions_Passes_AndCountsWhatItStated()
    {
        Assert.Equal(11, DecoderLlamaTiny.CheckConfig(Write(LlamaTinyConfig)));

        // A config without num_key_value_heads and with a null head_dim (older Llama files) states fewer options.
        var older = LlamaTinyConfig.Replace("\"num_key_value_heads\": 2,", "\"head_dim\": null,", StringComparison.Ordinal);
        Assert.Equal(10, DecoderLlamaTiny.CheckConfig(Write(older)));
    }

    [Fact]
    public void AConfigOfAnotherModel_IsRefused_NamingEveryDifference()
    {
        // Two heads of 16 on one KV head have the same matrices as four of 8 on two: the weights alone would load.
        var other = LlamaTinyConfig
            .Replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 2", StringComparison.Ordinal)
            .Replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 1", StringComparison.Ordinal)
            .Replace("\"rope_theta\": 10000.0", "\"rope_theta\": 500000.0", StringComparison.Ordinal)
            .Replace("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu_pytorch_tanh\"", StringComparison.Ordinal);

        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(other)));

        Assert.Equal("DecoderLlamaTiny", e.Declaration);
        Assert.Equal(["Heads", "KvHeads", "RopeTheta", "Activation"], e.Mismatches.Select(m => m.Option));
        Assert.Equal(new ConfigMismatch("Heads", "4", "num_attention_heads", "2"), e.Mismatches[0]);
        Assert.Equal(new ConfigMismatch("Activation", "SwiGlu", "hidden_act", "\"gelu_pytorch_tanh\""), e.Mismatches[3]);
        Assert.Contains("RopeTheta = 10000, but the config's rope_theta is 500000.0", e.Message);
    }

    [Fact]
    public void Epsilons_CompareToSixDigits_AndTyingIsChecked()
    {
        // 1e-5 written with more digits agrees; 1e-6 does not. A tied file against an untied declaration is refused.
        Assert.Equal(11, DecoderLlamaTiny.CheckConfig(Write(LlamaTinyConfig.Replace("1e-05", "0.0000100000001", StringComparison.Ordinal))));
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(LlamaTinyConfig
            .Replace("1e-05", "1e-06", StringComparison.Ordinal)
            .Replace("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true", StringComparison.Ordinal))));
        Assert.Equal(["NormEpsilon", "TiedEmbeddings"], e.Mismatches.Select(m => m.Option));
    }

    [Fact]
    public void Gpt2Keys_AndANullInnerSize_AreReadAsGpt2WritesThem()
    {
        // DecoderGpt2Tiny: 2 layers, dim 32, 4 heads, FFN 128 (= 4 × 32, which GPT-2's null n_inner means), 30 positions.
        var gpt2 = """
            { "model_type": "gpt2", "n_embd": 32, "n_head": 4, "n_layer": 2, "n_inner": null, "vocab_size": 60,
              "n_positions": 30, "layer_norm_epsilon": 1e-05, "activation_function": "gelu_new" }
            """;
        Assert.Equal(8, DecoderGpt2Tiny.CheckConfig(Write(gpt2)));
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGpt2Tiny.CheckConfig(Write(gpt2.Replace("\"n_positions\": 30", "\"n_positions\": 1024", StringComparison.Ordinal))));
        Assert.Equal("MaxPositions", Assert.Single(e.Mismatches).Option);
    }

    [Fact]
    public void AnEncoderConfig_IsCheckedWithBertKeys()
    {
        // EncoderMeanPooled: vocab 50, 40 positions, 2 layers, dim 32, 2 heads, FFN 64, LayerNorm 1e-12, exact GELU.
        var bert = """
            { "model_type": "bert", "hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2, "intermediate_size": 64,
              "vocab_size": 50, "max_position_embeddings": 40, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu" }
            """;
        Assert.Equal(10, EncoderMeanPooled.CheckConfig(Write(bert)));
        var e = Assert.Throws<ModelConfigMismatchException>(() => EncoderMeanPooled.CheckConfig(Write(bert.Replace("\"gelu\"", "\"gelu_new\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Activation", "Gelu", "hidden_act", "\"gelu_new\""), Assert.Single(e.Mismatches));
    }

    [Fact]
    public void FeaturesTheDeclarationLacks_AreRefused_WhenTheConfigStatesThem()
    {
        // Llama 3.1 / 3.2 scale the rotary frequencies ("rope_type": "llama3"): the same weights, other outputs.
        var llama3 = LlamaTinyConfig.Replace("\"rope_scaling\": null",
            "\"rope_scaling\": { \"rope_type\": \"llama3\", \"factor\": 32.0, \"original_max_position_embeddings\": 8192 }", StringComparison.Ordinal);
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(llama3)));
        Assert.Equal(new ConfigMismatch("RopeScaling", "none", "rope_scaling.rope_type", "\"llama3\""), Assert.Single(e.Mismatches));
        var linear = LlamaTinyConfig.Replace("\"rope_scaling\": null", "\"rope_scaling\": { \"type\": \"linear\", \"factor\": 8.0 }", StringComparison.Ordinal);
        Assert.Equal("rope_scaling.type", Assert.Single(Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(linear))).Mismatches).Key);
        var unscaled = LlamaTinyConfig.Replace("\"rope_scaling\": null", "\"rope_scaling\": { \"rope_type\": \"default\" }", StringComparison.Ordinal);
        Assert.Equal(12, DecoderLlamaTiny.CheckConfig(Write(unscaled)));

        // A BERT with relative position embeddings is another model; "absolute" (BERT's own) agrees.
        var bert = """
            { "hidden_size": 32, "num_attention_heads": 2, "position_embedding_type": "absolute" }
            """;
        Assert.Equal(3, EncoderMeanPooled.CheckConfig(Write(bert)));
        var relative = Assert.Throws<ModelConfigMismatchException>(() => EncoderMeanPooled.CheckConfig(Write(bert.Replace("absolute", "relative_key", StringComparison.Ordinal))));
        Assert.Equal("Positions", Assert.Single(relative.Mismatches).Option);
    }

    [Fact]
    public void Transformers5RotarySettings_AreReadInsideRopeParameters()
    {
        // transformers 5 moved rope_theta and the scaling into one object; the same checks apply there.
        var version5 = LlamaTinyConfig
            .Replace("\"rope_theta\": 10000.0,", "", StringComparison.Ordinal)
            .Replace("\"rope_scaling\": null", "\"rope_parameters\": { \"rope_type\": \"default\", \"rope_theta\": 10000.0 }", StringComparison.Ordinal);
        Assert.Equal(12, DecoderLlamaTiny.CheckConfig(Write(version5)));

        var llama32 = version5
            .Replace("\"default\"", "\"llama3\", \"factor\": 32.0", StringComparison.Ordinal)
            .Replace("10000.0 }", "500000.0 }", StringComparison.Ordinal);
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(llama32)));
        Assert.Equal(
            [new ConfigMismatch("RopeTheta", "10000", "rope_parameters.rope_theta", "500000.0"), new ConfigMismatch("RopeScaling", "none", "rope_parameters.rope_type", "\"llama3\"")],
            e.Mismatches);
    }

    [Fact]
    public void Llama3RopeScaling_IsComparedFactorByFactor_InEitherPlaceAConfigKeepsIt()
    {
        // DecoderLlama3Tiny: Llama 3.2's rotary scaling (factor 32) over an original context of 16, and a tied head.
        const string Llama32Config = """
            {
              "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32, "num_attention_heads": 4,
              "num_key_value_heads": 2, "num_hidden_layers": 2, "intermediate_size": 48, "vocab_size": 64, "rms_norm_eps": 1e-05,
              "rope_theta": 500000.0, "hidden_act": "silu", "tie_word_embeddings": true, "head_dim": 8,
              "rope_scaling": { "factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 16, "rope_type": "llama3" }
            }
            """;
        Assert.Equal(17, DecoderLlama3Tiny.CheckConfig(Write(Llama32Config)));

        // Llama 3.1's factor 8, and an original context of 8192: each is another model's frequencies.
        var llama31 = Llama32Config.Replace("\"factor\": 32.0", "\"factor\": 8.0", StringComparison.Ordinal)
            .Replace("\"original_max_position_embeddings\": 16", "\"original_max_position_embeddings\": 8192", StringComparison.Ordinal);
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlama3Tiny.CheckConfig(Write(llama31)));
        Assert.Equal(
            [new ConfigMismatch("RopeScalingFactor", "32", "rope_scaling.factor", "8.0"), new ConfigMismatch("RopeOriginalMaxPositions", "16", "rope_scaling.original_max_position_embeddings", "8192")],
            e.Mismatches);

        // Without scaling in the file (Llama 3.0), and in transformers 5's rope_parameters.
        var unscaled = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlama3Tiny.CheckConfig(Write(Llama32Config.Replace("\"llama3\"", "\"default\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("RopeScaling", "Llama3", "rope_scaling.rope_type", "\"default\""), Assert.Single(unscaled.Mismatches));
        var version5 = Llama32Config.Replace("\"rope_theta\": 500000.0,", "", StringComparison.Ordinal)
            .Replace("\"rope_scaling\": {", "\"rope_parameters\": { \"rope_theta\": 500000.0,", StringComparison.Ordinal);
        Assert.Equal(17, DecoderLlama3Tiny.CheckConfig(Write(version5)));
    }

    [Fact]
    public void ASlidingWindowShorterThanTheCache_IsRefused_WhateverAMistralFilesUseSlidingWindowSays()
    {
        // DecoderLlamaTiny caches 40 positions. Mistral v0.1 states its window (LlamaModel ignores one); MistralModel
        // windows by it whatever use_sliding_window says, a key only Qwen2's, Qwen3's and SmolLM3's configs read.
        string Window(int size) => LlamaTinyConfig.Replace("\"llama\"", "\"mistral\"", StringComparison.Ordinal)
            .Replace("\"rope_scaling\": null", $"\"rope_scaling\": null, \"sliding_window\": {size}", StringComparison.Ordinal);
        Assert.Equal(12, DecoderLlamaTiny.CheckConfig(Write(Window(40))));
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(Window(16))));
        Assert.Equal(new ConfigMismatch("MaxSeqLen", "40, which needs at least that", "sliding_window", "16"), Assert.Single(e.Mismatches));
        Assert.Contains("MaxSeqLen = 40, which needs at least that, but the config's sliding_window is 16", e.Message);

        string Switched(bool on) => Window(16).Replace("\"sliding_window\"", $"\"use_sliding_window\": {(on ? "true" : "false")}, \"sliding_window\"", StringComparison.Ordinal);
        foreach (bool on in new[] { false, true })
        {
            var switched = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(Switched(on))));
            Assert.Equal(new ConfigMismatch("MaxSeqLen", "40, which needs at least that", "sliding_window", "16"), Assert.Single(switched.Mismatches));
        }
    }

    [Fact]
    public void BiasFlags_AndGpt2ScoreScaling_AreChecked()
    {
        // DecoderLlamaTiny has no biases: a file with attention or MLP biases is another model.
        var biased = LlamaTinyConfig.Replace("\"rope_scaling\": null", "\"rope_scaling\": null, \"attention_bias\": true, \"mlp_bias\": false", StringComparison.Ordinal);
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(biased)));
        Assert.Equal(new ConfigMismatch("Bias", "false", "attention_bias", "true"), Assert.Single(e.Mismatches));

        // GPT-2 scales its scores by 1/√d and not by the layer's number; its files can switch either.
        const string Gpt2 = """
            { "n_embd": 32, "scale_attn_weights": true, "scale_attn_by_inverse_layer_idx": false }
            """;
        Assert.Equal(3, DecoderGpt2Tiny.CheckConfig(Write(Gpt2)));
        var other = Gpt2.Replace("true", "false", StringComparison.Ordinal).Replace("idx\": false", "idx\": true", StringComparison.Ordinal);
        var mismatches = Assert.Throws<ModelConfigMismatchException>(() => DecoderGpt2Tiny.CheckConfig(Write(other))).Mismatches;
        Assert.Equal(["scale_attn_weights", "scale_attn_by_inverse_layer_idx"], mismatches.Select(m => m.Key));
    }

    [Fact]
    public void AnotherFamilyNamingItsTensorsTheSame_IsRefused()
    {
        // Granite names its tensors as Llama does but scales embeddings, scores and logits; Mistral is Llama with a window.
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(LlamaTinyConfig.Replace("\"llama\"", "\"granite\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Architecture", "llama", "model_type", "\"granite\""), Assert.Single(e.Mismatches));
        Assert.Equal(11, DecoderLlamaTiny.CheckConfig(Write(LlamaTinyConfig.Replace("\"llama\"", "\"mistral\"", StringComparison.Ordinal))));

        // RoBERTa names its tensors as BERT does but numbers positions from the padding id + 1.
        var roberta = Assert.Throws<ModelConfigMismatchException>(() => EncoderMeanPooled.CheckConfig(Write("""{ "model_type": "roberta", "hidden_size": 32 }""")));
        Assert.Equal(new ConfigMismatch("Architecture", "bert", "model_type", "\"roberta\""), Assert.Single(roberta.Mismatches));
    }

    [Fact]
    public void Qwen2Configs_AreCheckedAsQwen2WritesThem_AndRefusedByLlamaDeclarations()
    {
        // Qwen2.5-0.5B's config.json, with DecoderQwen2Tiny's sizes. Nothing in it states the Q/K/V biases but model_type.
        const string Qwen2Config = """
            {
              "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "torch_dtype": "bfloat16", "attention_dropout": 0.0,
              "hidden_size": 48, "num_attention_heads": 6, "num_key_value_heads": 2, "num_hidden_layers": 2,
              "intermediate_size": 64, "vocab_size": 48, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "hidden_act": "silu",
              "max_position_embeddings": 32768, "max_window_layers": 24, "sliding_window": 32768, "use_sliding_window": false,
              "tie_word_embeddings": true, "use_cache": true
            }
            """;
        Assert.Equal(11, DecoderQwen2Tiny.CheckConfig(Write(Qwen2Config)));

        // A Llama file of the same sizes has no biases, and a Qwen2 file is refused by a declaration without them.
        var llama = Assert.Throws<ModelConfigMismatchException>(() => DecoderQwen2Tiny.CheckConfig(Write(Qwen2Config.Replace("\"qwen2\"", "\"llama\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Architecture", "qwen2", "model_type", "\"llama\""), Assert.Single(llama.Mismatches));
        var qwen = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(LlamaTinyConfig.Replace("\"llama\"", "\"qwen2\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Architecture", "llama", "model_type", "\"qwen2\""), Assert.Single(qwen.Mismatches));
    }

    [Fact]
    public void Qwen3Configs_AreCheckedAsQwen3WritesThem()
    {
        // Qwen3-0.6B's config.json with DecoderQwen3Tiny's sizes: its head_dim is not hidden_size / heads, and nothing in it
        // states the per-head Q/K norm but model_type.
        const string Qwen3Config = """
            {
              "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "attention_bias": false, "head_dim": 16,
              "hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 2, "intermediate_size": 48,
              "vocab_size": 56, "rms_norm_eps": 1e-06, "rope_theta": 1000000, "rope_scaling": null, "hidden_act": "silu",
              "max_position_embeddings": 40960, "max_window_layers": 28, "sliding_window": null, "use_sliding_window": false,
              "tie_word_embeddings": true
            }
            """;
        Assert.Equal(13, DecoderQwen3Tiny.CheckConfig(Write(Qwen3Config)));

        var qwen2 = Assert.Throws<ModelConfigMismatchException>(() => DecoderQwen3Tiny.CheckConfig(Write(Qwen3Config.Replace("\"qwen3\"", "\"qwen2\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Architecture", "qwen3", "model_type", "\"qwen2\""), Assert.Single(qwen2.Mismatches));
    }

    [Fact]
    public void Phi3Configs_AreCheckedAsLlama_WithTheirWindow_AndTheirLongRopeRefused()
    {
        // Phi-3-mini-4k-instruct's config.json with DecoderLlamaTiny's sizes: Llama with fused projections (which load as
        // their parts) and a window of 2047 positions, longer than the declaration's cache of 40.
        const string Phi3Config = """
            {
              "architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "attention_dropout": 0.0, "embd_pdrop": 0.0, "resid_pdrop": 0.0,
              "hidden_act": "silu", "hidden_size": 32, "intermediate_size": 48, "max_position_embeddings": 4096, "num_attention_heads": 4,
              "num_hidden_layers": 2, "num_key_value_heads": 2, "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-05,
              "rope_scaling": null, "rope_theta": 10000.0, "sliding_window": 2047, "tie_word_embeddings": false, "vocab_size": 64
            }
            """;
        Assert.Equal(12, DecoderLlamaTiny.CheckConfig(Write(Phi3Config)));

        // The 128k models scale their rotary frequencies by LongRoPE, which no declaration states.
        var longRope = Phi3Config.Replace("\"rope_scaling\": null", "\"rope_scaling\": { \"type\": \"longrope\", \"long_factor\": [1.0], \"short_factor\": [1.0] }", StringComparison.Ordinal);
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(longRope)));
        Assert.Equal(new ConfigMismatch("RopeScaling", "none", "rope_scaling.type", "\"longrope\""), Assert.Single(e.Mismatches));

        var windowed = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(Phi3Config.Replace("2047", "32", StringComparison.Ordinal))));
        Assert.Equal("sliding_window", Assert.Single(windowed.Mismatches).Key);
    }

    [Fact]
    public void Gemma2Configs_AreCheckedAsGemma2WritesThem_SoftcapsAndScaleIncluded()
    {
        // gemma-2-2b's config.json with DecoderGemma2Tiny's sizes and caps (query_pre_attn_scalar 16 is its Scale of 1/4). Nothing in it
        // states the sandwich norms, the (1 + gain) norm or the embedding scale but model_type.
        const string Gemma2Config = """
            {
              "architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "attention_bias": false, "attention_dropout": 0.0,
              "attn_logit_softcapping": 5.0, "final_logit_softcapping": 3.0, "cache_implementation": "hybrid", "head_dim": 16,
              "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 32, "intermediate_size": 48,
              "max_position_embeddings": 8192, "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2,
              "query_pre_attn_scalar": 16, "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096, "vocab_size": 40
            }
            """;
        Assert.Equal(16, DecoderGemma2Tiny.CheckConfig(Write(Gemma2Config)));

        // Each Gemma-specific number is compared: another scale, no score cap, another logit cap.
        var changed = Gemma2Config.Replace("\"query_pre_attn_scalar\": 16", "\"query_pre_attn_scalar\": 256", StringComparison.Ordinal)
            .Replace("\"attn_logit_softcapping\": 5.0", "\"attn_logit_softcapping\": 0.0", StringComparison.Ordinal)
            .Replace("\"final_logit_softcapping\": 3.0", "\"final_logit_softcapping\": 30.0", StringComparison.Ordinal);
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma2Tiny.CheckConfig(Write(changed)));
        Assert.Equal(["query_pre_attn_scalar", "attn_logit_softcapping", "final_logit_softcapping"], e.Mismatches.Select(m => m.Key));

        // Gemma 3 adds windows and a second rotary base no declaration states; a Llama declaration is another family.
        var gemma3 = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma2Tiny.CheckConfig(Write(Gemma2Config.Replace("\"gemma2\"", "\"gemma3_text\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Architecture", "gemma2", "model_type", "\"gemma3_text\""), Assert.Single(gemma3.Mismatches));
        var llama = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(LlamaTinyConfig.Replace("\"llama\"", "\"gemma2\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Architecture", "llama", "model_type", "\"gemma2\""), Assert.Single(llama.Mismatches));
    }

    [Fact]
    public void SlidingWindows_AreComparedWhenDeclared_WithGemma3sPatternAndLocalBase()
    {
        // gemma-3-1b-it's config.json with DecoderGemma3Tiny's sizes: its caps are null (no cap, as the declaration has
        // none), its window, pattern and local rotary base are compared with the declaration's.
        const string Gemma3Config = """
            {
              "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "attention_bias": false, "attn_logit_softcapping": null,
              "final_logit_softcapping": null, "head_dim": 16, "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 32,
              "intermediate_size": 48, "max_position_embeddings": 32768, "num_attention_heads": 4, "num_hidden_layers": 3,
              "num_key_value_heads": 1, "query_pre_attn_scalar": 16, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000,
              "rope_scaling": null, "rope_theta": 1000000, "sliding_window": 5, "sliding_window_pattern": 3, "vocab_size": 48
            }
            """;
        Assert.Equal(18, DecoderGemma3Tiny.CheckConfig(Write(Gemma3Config)));
        var other = Gemma3Config.Replace("\"sliding_window\": 5", "\"sliding_window\": 512", StringComparison.Ordinal)
            .Replace("\"sliding_window_pattern\": 3", "\"sliding_window_pattern\": 6", StringComparison.Ordinal)
            .Replace("\"rope_local_base_freq\": 10000", "\"rope_local_base_freq\": 20000", StringComparison.Ordinal);
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Tiny.CheckConfig(Write(other)));
        Assert.Equal(["sliding_window", "sliding_window_pattern", "rope_local_base_freq"], e.Mismatches.Select(m => m.Key));

        // Newer files list each layer's kind (layer_types), beside the pattern or instead of it.
        string listed = Gemma3Config.Replace("\"sliding_window_pattern\": 3", "\"layer_types\": [\"sliding_attention\", \"sliding_attention\", \"full_attention\"]", StringComparison.Ordinal);
        Assert.Equal(18, DecoderGemma3Tiny.CheckConfig(Write(listed)));
        var misplaced = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Tiny.CheckConfig(Write(listed.Replace("\"sliding_attention\", \"full_attention\"]", "\"full_attention\", \"sliding_attention\"]", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("SlidingWindowPattern", "[sliding_attention, sliding_attention, full_attention]", "layer_types", "[\"sliding_attention\", \"full_attention\", \"sliding_attention\"]"), Assert.Single(misplaced.Mismatches));

        // Mistral v0.1 windows every layer: its window is compared, and a file stating a pattern is another model.
        string mistral = LlamaTinyConfig.Replace("\"llama\"", "\"mistral\"", StringComparison.Ordinal).Replace("\"rope_scaling\": null", "\"rope_scaling\": null, \"sliding_window\": 6", StringComparison.Ordinal)
            .Replace("\"vocab_size\": 64", "\"vocab_size\": 48", StringComparison.Ordinal);
        Assert.Equal(12, DecoderMistralWindowTiny.CheckConfig(Write(mistral)));
        var patterned = Assert.Throws<ModelConfigMismatchException>(() => DecoderMistralWindowTiny.CheckConfig(Write(mistral.Replace("\"sliding_window\": 6", "\"sliding_window\": 6, \"sliding_window_pattern\": 2", StringComparison.Ordinal))));
        Assert.Equal("sliding_window_pattern", Assert.Single(patterned.Mismatches).Key);
    }

    [Fact]
    public void SmolLm3sUnrotatedLayers_AreComparedByInterval_AndLayerByLayer()
    {
        // HuggingFaceTB/SmolLM3-3B's config.json with DecoderSmolLm3Tiny's sizes (its interval 3 where the model's is 4):
        // no window (use_sliding_window false), and per layer a 1 for each layer that rotates.
        const string SmolLm3Config = """
            {
              "architectures": ["SmolLM3ForCausalLM"], "model_type": "smollm3", "attention_bias": false, "hidden_act": "silu",
              "hidden_size": 32, "intermediate_size": 48, "layer_types": ["full_attention", "full_attention", "full_attention"],
              "max_position_embeddings": 65536, "max_window_layers": 28, "mlp_bias": false, "no_rope_layer_interval": 3,
              "no_rope_layers": [1, 1, 0], "num_attention_heads": 4, "num_hidden_layers": 3, "num_key_value_heads": 2,
              "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 5000000.0, "sliding_window": null,
              "tie_word_embeddings": true, "use_sliding_window": false, "vocab_size": 48
            }
            """;
        Assert.Equal(15, DecoderSmolLm3Tiny.CheckConfig(Write(SmolLm3Config)));

        var moved = Assert.Throws<ModelConfigMismatchException>(() => DecoderSmolLm3Tiny.CheckConfig(Write(SmolLm3Config.Replace("[1, 1, 0]", "[1, 0, 1]", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("NoRopeInterval", "[1, 1, 0]", "no_rope_layers", "[1, 0, 1]"), Assert.Single(moved.Mismatches));
        var interval = Assert.Throws<ModelConfigMismatchException>(() => DecoderSmolLm3Tiny.CheckConfig(Write(SmolLm3Config.Replace("\"no_rope_layer_interval\": 3", "\"no_rope_layer_interval\": 4", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("NoRopeInterval", "3", "no_rope_layer_interval", "4"), Assert.Single(interval.Mismatches));

        // A declaration that rotates every layer is another family, and so is SmolLM3's declaration to a Llama file.
        var llama = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(LlamaTinyConfig.Replace("\"llama\"", "\"smollm3\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Architecture", "llama", "model_type", "\"smollm3\""), Assert.Single(llama.Mismatches));
        var smol = Assert.Throws<ModelConfigMismatchException>(() => DecoderSmolLm3Tiny.CheckConfig(Write(SmolLm3Config.Replace("\"smollm3\"", "\"llama\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Architecture", "smollm3", "model_type", "\"llama\""), Assert.Single(smol.Mismatches));
    }

    [Fact]
    public void GranitesFactors_AreComparedWithTheDeclarations()
    {
        // granite-3.3-2b-instruct's config.json with DecoderGraniteTiny's sizes: its four factors (attention_multiplier is
        // 1/HeadDim here, as there) beside Llama's settings.
        const string GraniteConfig = """
            {
              "architectures": ["GraniteForCausalLM"], "model_type": "granite", "attention_bias": false, "attention_multiplier": 0.125,
              "embedding_multiplier": 12.0, "hidden_act": "silu", "hidden_size": 32, "intermediate_size": 48, "logits_scaling": 8.0,
              "max_position_embeddings": 131072, "mlp_bias": false, "num_attention_heads": 4, "num_hidden_layers": 2,
              "num_key_value_heads": 2, "residual_multiplier": 0.22, "rms_norm_eps": 1e-05, "rope_scaling": null,
              "rope_theta": 10000000.0, "tie_word_embeddings": true, "vocab_size": 48
            }
            """;
        Assert.Equal(17, DecoderGraniteTiny.CheckConfig(Write(GraniteConfig)));

        var other = GraniteConfig.Replace("\"embedding_multiplier\": 12.0", "\"embedding_multiplier\": 1.0", StringComparison.Ordinal)
            .Replace("\"residual_multiplier\": 0.22", "\"residual_multiplier\": 0.1", StringComparison.Ordinal)
            .Replace("\"logits_scaling\": 8.0", "\"logits_scaling\": 16.0", StringComparison.Ordinal)
            .Replace("\"attention_multiplier\": 0.125", "\"attention_multiplier\": 0.0078125", StringComparison.Ordinal);
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGraniteTiny.CheckConfig(Write(other)));
        Assert.Equal(["attention_multiplier", "embedding_multiplier", "logits_scaling", "residual_multiplier"], e.Mismatches.Select(m => m.Key).Order());

        // A Llama declaration refuses Granite's file: the factors would be missing.
        var llama = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(LlamaTinyConfig.Replace("\"llama\"", "\"granite\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Architecture", "llama", "model_type", "\"granite\""), Assert.Single(llama.Mismatches));
    }

    [Fact]
    public void Olmo2_IsItsOwnFamily()
    {
        // OLMo-2-0425-1B's config.json with DecoderOlmo2Tiny's sizes: no file key states where its norms sit, so
        // model_type olmo2 does, and a Llama declaration refuses the file.
        const string Olmo2Config = """
            {
              "architectures": ["Olmo2ForCausalLM"], "model_type": "olmo2", "attention_bias": false, "hidden_act": "silu",
              "hidden_size": 32, "intermediate_size": 48, "max_position_embeddings": 4096, "num_attention_heads": 4,
              "num_hidden_layers": 2, "num_key_value_heads": 4, "rms_norm_eps": 1e-06, "rope_scaling": null,
              "rope_theta": 500000, "tie_word_embeddings": false, "vocab_size": 48
            }
            """;
        Assert.Equal(12, DecoderOlmo2Tiny.CheckConfig(Write(Olmo2Config)));
        var llama = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaTiny.CheckConfig(Write(LlamaTinyConfig.Replace("\"llama\"", "\"olmo2\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Architecture", "llama", "model_type", "\"olmo2\""), Assert.Single(llama.Mismatches));
    }

    [Fact]
    public void Gemma3sLargerModels_AreCheckedInTheirTextConfig_WithLinearScaling()
    {
        // gemma-3-4b-it's config.json, a multimodal wrapper, with DecoderOracleGemma3Scaled's sizes: the language model's
        // settings are in text_config, its full layers scaled linearly by 8.
        const string Gemma3Wrapper = """
            {
              "architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "mm_tokens_per_image": 256,
              "text_config": {
                "model_type": "gemma3_text", "head_dim": 16, "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 48,
                "intermediate_size": 64, "num_attention_heads": 4, "num_hidden_layers": 3, "num_key_value_heads": 1,
                "query_pre_attn_scalar": 16, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000.0, "rope_theta": 1000000.0,
                "rope_scaling": { "factor": 8.0, "rope_type": "linear" }, "sliding_window": 6, "sliding_window_pattern": 3,
                "vocab_size": 64
              },
              "vision_config": { "model_type": "siglip_vision_model", "hidden_size": 1152, "num_attention_heads": 16 }
            }
            """;
        Assert.Equal(17, Onnx.DecoderOracleGemma3Scaled.CheckConfig(Write(Gemma3Wrapper)));

        // Its 1B sibling states no scaling; the larger model's file is refused by a declaration without it.
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Tiny.CheckConfig(Write(Gemma3Wrapper)));
        Assert.Contains(e.Mismatches, m => m.Key == "rope_scaling.rope_type" && m.InFile == "\"linear\"");
        var unscaled = Assert.Throws<ModelConfigMismatchException>(() => Onnx.DecoderOracleGemma3Scaled.CheckConfig(Write(Gemma3Wrapper.Replace("\"factor\": 8.0", "\"factor\": 4.0", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("RopeScalingFactor", "8", "rope_scaling.factor", "4.0"), Assert.Single(unscaled.Mismatches));
    }

    [Fact]
    public void NullSoftcaps_MeanNoCap_AndAreRefusedByADeclarationThatCaps()
    {
        // transformers reads a null attn_logit_softcapping or final_logit_softcapping as no cap (Gemma 3's files hold
        // both null): a declaration that caps is another model, one that does not agrees.
        const string Uncapped = """
            { "model_type": "gemma2", "hidden_size": 32, "query_pre_attn_scalar": 16, "attn_logit_softcapping": null, "final_logit_softcapping": null }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma2Tiny.CheckConfig(Write(Uncapped)));
        Assert.Equal(
            [new ConfigMismatch("Softcap", "5", "attn_logit_softcapping", "null"), new ConfigMismatch("FinalLogitSoftcap", "3", "final_logit_softcapping", "null")],
            e.Mismatches);
        Assert.Equal(7, DecoderGemma3Tiny.CheckConfig(Write(Uncapped.Replace("\"gemma2\", \"hidden_size\": 32", "\"gemma3_text\", \"hidden_size\": 32, \"sliding_window\": 5, \"sliding_window_pattern\": 3", StringComparison.Ordinal))));
    }

    [Fact]
    public void ADeclaredWindow_IsRefusedByAConfigWithoutOne()
    {
        // Mistral v0.2 and later hold "sliding_window": null, and Qwen2's files switch theirs off with use_sliding_window:
        // transformers attends to every cached position, a declaration that windows every layer to the last 6.
        const string Mistral = """
            { "model_type": "mistral", "hidden_size": 32, "sliding_window": 6 }
            """;
        Assert.Equal(3, DecoderMistralWindowTiny.CheckConfig(Write(Mistral)));
        var unwindowed = Assert.Throws<ModelConfigMismatchException>(() => DecoderMistralWindowTiny.CheckConfig(Write(Mistral.Replace("\"sliding_window\": 6", "\"sliding_window\": null", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "null"), Assert.Single(unwindowed.Mismatches));
        const string Qwen2 = """
            { "model_type": "qwen2", "hidden_size": 48, "num_hidden_layers": 2, "use_sliding_window": false, "sliding_window": 6, "max_window_layers": 0 }
            """;
        var switchedOff = Assert.Throws<ModelConfigMismatchException>(() => DecoderQwen2Windowed.CheckConfig(Write(Qwen2)));
        Assert.Equal(new ConfigMismatch("Windowed (SlidingWindow > 0)", "true", "use_sliding_window", "false"), Assert.Single(switchedOff.Mismatches));

        // MistralConfig has no such switch: MistralModel windows by sliding_window whatever a file's use_sliding_window says.
        foreach (var use in new[] { "false", "true" })
        {
            Assert.Equal(3, DecoderMistralWindowTiny.CheckConfig(Write(Mistral.Replace("\"sliding_window\": 6", $"\"use_sliding_window\": {use}, \"sliding_window\": 6", StringComparison.Ordinal))));
        }
    }

    [Fact]
    public void Gemma3sRotarySettings_AreReadPerLayerType_AsTransformers5WritesThem()
    {
        // transformers 5 keeps Gemma 3's two rotations in rope_parameters, one object per layer type: the full layers'
        // base and scaling, and the windowed layers' base (rope_local_base_freq in earlier files).
        const string Version5 = """
            {
              "model_type": "gemma3_text", "hidden_size": 32, "query_pre_attn_scalar": 16, "sliding_window": 5, "sliding_window_pattern": 3,
              "rope_parameters": {
                "full_attention": { "rope_type": "default", "rope_theta": 1000000.0 },
                "sliding_attention": { "rope_type": "default", "rope_theta": 10000.0 }
              }
            }
            """;
        Assert.Equal(9, DecoderGemma3Tiny.CheckConfig(Write(Version5)));
        var other = Version5.Replace("1000000.0", "500000.0", StringComparison.Ordinal).Replace("10000.0 }", "20000.0 }", StringComparison.Ordinal);
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Tiny.CheckConfig(Write(other)));
        Assert.Equal(["rope_parameters.full_attention.rope_theta", "rope_parameters.sliding_attention.rope_theta"], e.Mismatches.Select(m => m.Key));

        // gemma-3-4b scales its full layers linearly by 8 (the windowed ones not): the 1B declaration refuses that file.
        var scaled = Version5.Replace("\"default\", \"rope_theta\": 1000000.0", "\"linear\", \"factor\": 8.0, \"rope_theta\": 1000000.0", StringComparison.Ordinal);
        var unscaled = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Tiny.CheckConfig(Write(scaled)));
        Assert.Equal(new ConfigMismatch("RopeScaling", "none", "rope_parameters.full_attention.rope_type", "\"linear\""), Assert.Single(unscaled.Mismatches));
        var scaledDeclaration = scaled.Replace("\"hidden_size\": 32", "\"hidden_size\": 48", StringComparison.Ordinal)
            .Replace("\"sliding_window\": 5", "\"sliding_window\": 6", StringComparison.Ordinal);
        Assert.Equal(10, Onnx.DecoderOracleGemma3Scaled.CheckConfig(Write(scaledDeclaration)));
        var bothScaled = Assert.Throws<ModelConfigMismatchException>(() => Onnx.DecoderOracleGemma3Scaled.CheckConfig(Write(scaledDeclaration
            .Replace("\"default\", \"rope_theta\": 10000.0", "\"linear\", \"factor\": 8.0, \"rope_theta\": 10000.0", StringComparison.Ordinal))));
        Assert.Equal("rope_parameters.sliding_attention.rope_type", Assert.Single(bothScaled.Mismatches).Key);
    }

    [Fact]
    public void ABertDecoder_IsRefusedByAnEncoder()
    {
        // "is_decoder": true makes transformers' BertModel mask every token's later tokens; an encoder attends both ways.
        const string Bert = """
            { "model_type": "bert", "hidden_size": 32, "is_decoder": false }
            """;
        Assert.Equal(3, EncoderMeanPooled.CheckConfig(Write(Bert)));
        var e = Assert.Throws<ModelConfigMismatchException>(() => EncoderMeanPooled.CheckConfig(Write(Bert.Replace("false", "true", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Causal mask", "false", "is_decoder", "true"), Assert.Single(e.Mismatches));
    }

    [Fact]
    public void AScaleTheFamilyDoesNotApply_IsRefused()
    {
        // Llama's family scales scores by 1/√head_dim, which no file states: DecoderOracleWideHeads' 0.125 over heads of
        // 20 is another model than any Llama, Mistral or Qwen file of its sizes. A declaration at 1/√HeadDim agrees.
        const string Llama = """
            { "model_type": "llama", "hidden_size": 48, "num_attention_heads": 4, "head_dim": 20 }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => Onnx.DecoderOracleWideHeads.CheckConfig(Write(Llama)));
        Assert.Equal(new ConfigMismatch("Scale", "0.125 (the family's is 1/√HeadDim)", "model_type", "\"llama\""), Assert.Single(e.Mismatches));
        Assert.Contains("Scale = 0.125 (the family's is 1/√HeadDim), but the config's model_type is \"llama\"", e.Message);
        Assert.Equal(4, Onnx.DecoderOracleLlama.CheckConfig(Write(Llama.Replace("48", "64", StringComparison.Ordinal).Replace("\"head_dim\": 20", "\"head_dim\": 16", StringComparison.Ordinal))));
    }

    [Fact]
    public void GemmasFeatures_AreRefusedOutsideItsFamilies_AndTheirLackWithin()
    {
        // No key states Gemma's capped scores and logits (Llama, Mistral and Gemma 1 cap nothing), its embeddings scaled by
        // √hidden_size, its (1 + gain) norm, its second rotary base or its alternating windows: model_type does.
        const string Mistral = """
            { "model_type": "mistral", "hidden_size": 32, "sliding_window": 6 }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaWithGemmasFeatures.CheckConfig(Write(Mistral)));
        Assert.Equal(["Softcap", "FinalLogitSoftcap", "ScaleEmbeddings", "LocalRopeTheta", "SlidingWindowPattern"], e.Mismatches.Select(m => m.Option));
        Assert.Contains("Softcap = 5 (the family caps no score), but the config's model_type is \"mistral\"", e.Message);

        const string Gemma2 = """
            { "model_type": "gemma2", "hidden_size": 32, "query_pre_attn_scalar": 16, "attn_logit_softcapping": 5.0, "final_logit_softcapping": 3.0 }
            """;
        var gemma2 = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma2WithoutGemmasNorm.CheckConfig(Write(Gemma2)));
        Assert.Equal(
            [new ConfigMismatch("ScaleEmbeddings", "false (the family's is true)", "model_type", "\"gemma2\""), new ConfigMismatch("Norm", "RmsNorm (the family's is GemmaRmsNorm)", "model_type", "\"gemma2\"")],
            gemma2.Mismatches);
    }

    [Fact]
    public void APartialRotation_IsRefusedByAConfigThatStatesNone()
    {
        // Llama's files state no partial_rotary_factor, and transformers rotates every float of a head: a declaration
        // rotating 6 of 16 is another model. Phi-4-mini states its 0.75, compared as before.
        const string Llama = """
            { "model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 1 }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => Onnx.DecoderOracleMqaPartialRope.CheckConfig(Write(Llama)));
        Assert.Equal(new ConfigMismatch("RopeDim / HeadDim", "0.375", "partial_rotary_factor or rope_parameters.partial_rotary_factor", "missing, which means 1"), Assert.Single(e.Mismatches));
        Assert.Equal(5, Onnx.DecoderOracleMqaPartialRope.CheckConfig(Write(Llama.Replace("\"llama\"", "\"phi3\", \"partial_rotary_factor\": 0.375", StringComparison.Ordinal))));
        Assert.Equal(4, Onnx.DecoderOracleLlama.CheckConfig(Write(Llama.Replace("\"num_key_value_heads\": 1", "\"num_key_value_heads\": 2", StringComparison.Ordinal))));
    }

    [Fact]
    public void ADeclaredRopeScaling_IsRefusedByAConfigWithoutOne()
    {
        // Llama 3.0's files and gemma-3-1b's hold "rope_scaling": null, and older files lack the key: transformers scales
        // no frequency. A declaration that scales them (Llama 3.2's, Gemma 3 4B's) is another model.
        const string Llama30 = """
            { "model_type": "llama", "hidden_size": 64, "rope_theta": 500000.0, "rope_scaling": null }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => Onnx.DecoderOracleLlama3.CheckConfig(Write(Llama30)));
        Assert.Equal(
            new ConfigMismatch("RopeScaling", "Llama3", "rope_parameters.rope_type or rope_scaling.rope_type or rope_scaling.type", "missing, which means \"default\""),
            Assert.Single(e.Mismatches));
        Assert.Contains("RopeScaling = Llama3, but the config's rope_parameters.rope_type or rope_scaling.rope_type or rope_scaling.type is missing, which means \"default\"", e.Message);
        Assert.Throws<ModelConfigMismatchException>(() => Onnx.DecoderOracleLlama3.CheckConfig(Write(Llama30.Replace(", \"rope_scaling\": null", "", StringComparison.Ordinal))));

        const string Gemma31B = """
            { "model_type": "gemma3_text", "hidden_size": 48, "query_pre_attn_scalar": 16, "rope_scaling": null, "rope_local_base_freq": 10000.0, "rope_theta": 1000000.0,
              "sliding_window": 6, "sliding_window_pattern": 3 }
            """;
        var gemma = Assert.Throws<ModelConfigMismatchException>(() => Onnx.DecoderOracleGemma3Scaled.CheckConfig(Write(Gemma31B)));
        Assert.Equal("RopeScaling", Assert.Single(gemma.Mismatches).Option);
        Assert.Equal(7, Onnx.DecoderOracleGemma3.CheckConfig(Write(Gemma31B)));
    }

    [Fact]
    public void EmbeddingGemmasBidirectionalAttention_IsRefusedByADecoder()
    {
        // EmbeddingGemma's config.json is a gemma3_text one whose tokens attend both ways; a decoder's attend backwards.
        const string Gemma3 = """
            { "model_type": "gemma3_text", "hidden_size": 32, "query_pre_attn_scalar": 16, "sliding_window": 5, "sliding_window_pattern": 3,
              "use_bidirectional_attention": false }
            """;
        Assert.Equal(6, DecoderGemma3Tiny.CheckConfig(Write(Gemma3)));
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Tiny.CheckConfig(Write(Gemma3.Replace("false", "true", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Bidirectional attention", "false", "use_bidirectional_attention", "true"), Assert.Single(e.Mismatches));
    }

    [Fact]
    public void GranitesMissingFactors_MeanOne_AndAreRefusedByADeclarationWithOthers()
    {
        // GraniteConfig reads a missing embedding_multiplier, residual_multiplier, logits_scaling or attention_multiplier
        // as 1: a file without them is a Llama's arithmetic, which DecoderGraniteTiny's factors are not.
        const string Granite = """
            { "model_type": "granite", "hidden_size": 32 }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGraniteTiny.CheckConfig(Write(Granite)));
        Assert.Equal(
            [
                new ConfigMismatch("EmbeddingMultiplier", "12", "embedding_multiplier", "missing, which means 1"),
                new ConfigMismatch("ResidualMultiplier", "0.22", "residual_multiplier", "missing, which means 1"),
                new ConfigMismatch("LogitsScaling", "8", "logits_scaling", "missing, which means 1"),
                new ConfigMismatch("Scale", "0.125", "attention_multiplier", "missing, which means 1"),
            ],
            e.Mismatches);
        Assert.Contains("EmbeddingMultiplier = 12, but the config's embedding_multiplier is missing, which means 1", e.Message);
    }

    [Fact]
    public void Gemma2And3sMissingScalarsCapsAndLocalBase_MeanTheirFamiliesDefaults()
    {
        // Gemma2Config reads a missing attn_logit_softcapping as 50, final_logit_softcapping as 30 and query_pre_attn_scalar
        // as 256 (scores × 1/16); Gemma3TextConfig the scalar as 256 too and rope_local_base_freq as 10000.
        const string Gemma2 = """
            { "model_type": "gemma2", "hidden_size": 32 }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma2Tiny.CheckConfig(Write(Gemma2)));
        Assert.Equal(
            [
                new ConfigMismatch("Scale", "16", "query_pre_attn_scalar", "missing, which means 256"),
                new ConfigMismatch("Softcap", "5", "attn_logit_softcapping", "missing, which means 50"),
                new ConfigMismatch("FinalLogitSoftcap", "3", "final_logit_softcapping", "missing, which means 30"),
            ],
            e.Mismatches);
        Assert.Equal(3, Onnx.DecoderOracleGemma2.CheckConfig(Write(Gemma2.Replace("32", "48, \"query_pre_attn_scalar\": 16", StringComparison.Ordinal))));

        const string Gemma3 = """
            { "model_type": "gemma3_text", "hidden_size": 32, "query_pre_attn_scalar": 16, "sliding_window": 5, "sliding_window_pattern": 3 }
            """;
        Assert.Equal(5, DecoderGemma3Tiny.CheckConfig(Write(Gemma3)));
        var scalar = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Tiny.CheckConfig(Write(Gemma3.Replace(", \"query_pre_attn_scalar\": 16", "", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Scale", "16", "query_pre_attn_scalar", "missing, which means 256"), Assert.Single(scalar.Mismatches));
        var local = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3WithOneRotaryBase.CheckConfig(Write(Gemma3)));
        Assert.Equal(
            new ConfigMismatch("LocalRopeTheta", "1000000", "rope_local_base_freq or rope_parameters.sliding_attention.rope_theta", "missing, which means 10000"),
            Assert.Single(local.Mismatches));
    }

    [Fact]
    public void Gemma3sMissingCaps_MeanNoCap_AndAreRefusedByADeclarationThatCaps()
    {
        // Gemma3TextConfig's attn_logit_softcapping and final_logit_softcapping default to None, unlike Gemma 2's 50 and 30:
        // a gemma3_text file without them (or a gemma3 one whose text_config lacks them) caps nothing.
        const string Gemma3 = """
            { "model_type": "gemma3_text", "hidden_size": 32, "query_pre_attn_scalar": 16, "sliding_window": 5, "sliding_window_pattern": 3 }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Capped.CheckConfig(Write(Gemma3)));
        Assert.Equal(
            [
                new ConfigMismatch("Softcap", "5", "attn_logit_softcapping", "missing, which means null"),
                new ConfigMismatch("FinalLogitSoftcap", "3", "final_logit_softcapping", "missing, which means null"),
            ],
            e.Mismatches);
        Assert.Contains("Softcap = 5, but the config's attn_logit_softcapping is missing, which means null", e.Message);
        const string Wrapper = """
            { "model_type": "gemma3", "text_config": { "model_type": "gemma3_text", "hidden_size": 32, "query_pre_attn_scalar": 16, "sliding_window": 5, "sliding_window_pattern": 3 } }
            """;
        Assert.Equal(2, Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Capped.CheckConfig(Write(Wrapper))).Mismatches.Count);

        // Stated caps are compared as before; a declaration without caps agrees with a file without them.
        Assert.Equal(7, DecoderGemma3Capped.CheckConfig(Write(Gemma3.Replace("3 }", "3, \"attn_logit_softcapping\": 5.0, \"final_logit_softcapping\": 3.0 }", StringComparison.Ordinal))));
        Assert.Equal(5, DecoderGemma3Tiny.CheckConfig(Write(Gemma3)));
    }

    [Fact]
    public void Gemma1sMissingOrNullHiddenActivation_MeansTheTanhGelu_WhateverHiddenActSays()
    {
        // google/gemma-2b's config.json says "hidden_act": "gelu" and no hidden_activation, which transformers' Gemma code
        // (through 4.47) reads as gelu_pytorch_tanh, ignoring hidden_act: the GeGLU declaration agrees, a SwiGLU one not.
        const string Gemma1 = """
            { "model_type": "gemma", "hidden_size": 32, "hidden_act": "gelu", "hidden_activation": null }
            """;
        Assert.Equal(2, DecoderGemma1Tiny.CheckConfig(Write(Gemma1)));
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma1WithSwiGlu.CheckConfig(Write(Gemma1)));
        Assert.Equal(new ConfigMismatch("Activation", "SwiGlu", "hidden_activation", "missing, which means \"gelu_pytorch_tanh\""), Assert.Single(e.Mismatches));
        Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma1WithSwiGlu.CheckConfig(Write(Gemma1.Replace(", \"hidden_activation\": null", "", StringComparison.Ordinal))));
    }

    [Fact]
    public void ADeclaredWindow_IsRefusedByGemma1_WhichWindowsNoLayer()
    {
        // GemmaConfig has no sliding_window: every layer attends to every cached position.
        const string Gemma1 = """
            { "model_type": "gemma", "hidden_size": 32 }
            """;
        Assert.Equal(2, DecoderGemma1Tiny.CheckConfig(Write(Gemma1)));
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma1Windowed.CheckConfig(Write(Gemma1)));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6 (the family windows no layer)", "model_type", "\"gemma\""), Assert.Single(e.Mismatches));
    }

    [Fact]
    public void ASecondRotaryBase_IsRefusedByGemma1And2_WhichRotateEveryLayerByRopeTheta()
    {
        // GemmaConfig and Gemma2Config have one rope_theta and no key for a windowed layers' base (Gemma 3's
        // rope_local_base_freq): a declaration whose windowed layers turn by 20000 is another model than any of their files.
        const string Gemma2 = """
            { "model_type": "gemma2", "hidden_size": 32, "query_pre_attn_scalar": 16, "attn_logit_softcapping": 5.0,
              "final_logit_softcapping": 3.0, "rope_theta": 10000.0, "sliding_window": 6 }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma2WithLocalBase.CheckConfig(Write(Gemma2)));
        Assert.Equal(new ConfigMismatch("LocalRopeTheta", "20000 (the family has one rotary base)", "model_type", "\"gemma2\""), Assert.Single(e.Mismatches));
        Assert.Contains("LocalRopeTheta = 20000 (the family has one rotary base), but the config's model_type is \"gemma2\"", e.Message);

        // LocalRopeTheta equal to RopeTheta is what 0 means: one base, the model the file describes.
        Assert.Equal(7, DecoderGemma2WithRopeThetaAsLocalBase.CheckConfig(Write(Gemma2)));

        const string Gemma1 = """
            { "model_type": "gemma", "hidden_size": 32 }
            """;
        var gemma1 = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma1WithLocalBase.CheckConfig(Write(Gemma1)));
        Assert.Equal(["LocalRopeTheta", "SlidingWindow"], gemma1.Mismatches.Select(m => m.Option));
    }

    [Fact]
    public void AQwenFileWithoutLayerTypes_WindowsTheLayersFromMaxWindowLayersOn_AndIsRefusedByADeclarationWindowingOthers()
    {
        // Qwen2Config and Qwen3Config derive a missing layer_types from use_sliding_window (false when missing) and
        // max_window_layers (28 when missing): the layers from max_window_layers on are windowed, those before it not. A
        // Qwen declaration windows every layer or none, so only max_window_layers 0 agrees with DecoderQwen2Windowed.
        const string Qwen2 = """
            { "model_type": "qwen2", "hidden_size": 48, "num_hidden_layers": 2, "use_sliding_window": true, "sliding_window": 6, "max_window_layers": 0 }
            """;
        Assert.Equal(5, DecoderQwen2Windowed.CheckConfig(Write(Qwen2)));
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderQwen2Windowed.CheckConfig(Write(Qwen2.Replace("\"max_window_layers\": 0", "\"max_window_layers\": 1", StringComparison.Ordinal))));
        Assert.Equal(
            new ConfigMismatch("SlidingWindowPattern", "[sliding_attention, sliding_attention]", "layer_types",
                "missing, which means [\"full_attention\", \"sliding_attention\"] (the layers from max_window_layers, 1, windowed: some layers and not others, which no declaration of the family states)"),
            Assert.Single(e.Mismatches));
        Assert.Contains("SlidingWindowPattern = [sliding_attention, sliding_attention], but the config's layer_types is missing", e.Message);

        // Without max_window_layers, 28: neither of the two layers is windowed.
        var unwindowed = Assert.Throws<ModelConfigMismatchException>(() => DecoderQwen2Windowed.CheckConfig(Write(Qwen2.Replace(", \"max_window_layers\": 0", "", StringComparison.Ordinal))));
        Assert.Equal(
            "missing, which means [\"full_attention\", \"full_attention\"] (the layers from max_window_layers, missing and so 28, windowed)",
            Assert.Single(unwindowed.Mismatches).InFile);

        // A file that lists layer_types (as transformers 4.53 and later write it) is compared layer by layer instead.
        Assert.Equal(6, DecoderQwen2Windowed.CheckConfig(Write(Qwen2.Replace("\"max_window_layers\": 0", "\"max_window_layers\": 1, \"layer_types\": [\"sliding_attention\", \"sliding_attention\"]", StringComparison.Ordinal))));

        // A file without use_sliding_window windows no layer.
        var off = Assert.Throws<ModelConfigMismatchException>(() => DecoderQwen2Windowed.CheckConfig(Write(Qwen2.Replace("\"use_sliding_window\": true, ", "", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("Windowed (SlidingWindow > 0)", "true", "use_sliding_window", "missing, which means false"), Assert.Single(off.Mismatches));

        // Qwen3 derives its layers alike.
        var qwen3 = Qwen2.Replace("\"qwen2\"", "\"qwen3\"", StringComparison.Ordinal).Replace("48", "32", StringComparison.Ordinal);
        Assert.Equal(5, DecoderQwen3Windowed.CheckConfig(Write(qwen3)));
        var qwen3Later = Assert.Throws<ModelConfigMismatchException>(() => DecoderQwen3Windowed.CheckConfig(Write(qwen3.Replace("\"max_window_layers\": 0", "\"max_window_layers\": 1", StringComparison.Ordinal))));
        Assert.Equal("layer_types", Assert.Single(qwen3Later.Mismatches).Key);
    }

    [Fact]
    public void ASmolLm3FileWithoutLayerTypes_WindowsItsUnrotatedLayersOnly_WhichNoDeclarationStates()
    {
        // SmolLM3Config derives a missing layer_types from use_sliding_window and no_rope_layers (or, without them,
        // no_rope_layer_interval, 4 when missing): only the layers that do not rotate are windowed. Its declarations window
        // every layer or none, so a windowed one is refused unless the file lists its layers.
        const string SmolLm3 = """
            { "model_type": "smollm3", "hidden_size": 32, "num_hidden_layers": 3, "use_sliding_window": true, "sliding_window": 6,
              "no_rope_layer_interval": 3, "no_rope_layers": [1, 1, 0] }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderSmolLm3Windowed.CheckConfig(Write(SmolLm3)));
        Assert.Equal(
            new ConfigMismatch("SlidingWindowPattern", "[sliding_attention, sliding_attention, sliding_attention]", "layer_types",
                "missing, which means [\"full_attention\", \"full_attention\", \"sliding_attention\"] (the layers no_rope_layers leaves unrotated windowed: some layers and not others, which no declaration of the family states)"),
            Assert.Single(e.Mismatches));
        var byInterval = Assert.Throws<ModelConfigMismatchException>(() => DecoderSmolLm3Windowed.CheckConfig(Write(SmolLm3.Replace(", \"no_rope_layers\": [1, 1, 0]", "", StringComparison.Ordinal))));
        Assert.Equal("layer_types", Assert.Single(byInterval.Mismatches).Key);

        Assert.Equal(8, DecoderSmolLm3Windowed.CheckConfig(Write(SmolLm3.Replace("[1, 1, 0]", "[1, 1, 0], \"layer_types\": [\"sliding_attention\", \"sliding_attention\", \"sliding_attention\"]", StringComparison.Ordinal))));
        var off = Assert.Throws<ModelConfigMismatchException>(() => DecoderSmolLm3Windowed.CheckConfig(Write(SmolLm3.Replace("\"use_sliding_window\": true, ", "", StringComparison.Ordinal))));
        Assert.Equal("use_sliding_window", Assert.Single(off.Mismatches).Key);
    }

    [Fact]
    public void AFileWithoutSlidingWindow_WindowsAsItsModelTypesConfigSays_LlamaGraniteOlmo2AndPhi3None_Mistral4096()
    {
        // LlamaConfig, GraniteConfig and Olmo2Config have no sliding_window and Phi3Config defaults it to None: a file of
        // theirs without the key windows no layer, which a declaration windowing every layer to the last 6 is not.
        const string Llama = """
            { "model_type": "llama", "hidden_size": 32 }
            """;
        var llama = Assert.Throws<ModelConfigMismatchException>(() => DecoderMistralWindowTiny.CheckConfig(Write(Llama)));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "missing, which means null"), Assert.Single(llama.Mismatches));
        Assert.Contains("SlidingWindow = 6, but the config's sliding_window is missing, which means null", llama.Message);
        var phi3 = Assert.Throws<ModelConfigMismatchException>(() => DecoderMistralWindowTiny.CheckConfig(Write(Llama.Replace("\"llama\"", "\"phi3\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "missing, which means null"), Assert.Single(phi3.Mismatches));
        const string Granite = """
            { "model_type": "granite", "hidden_size": 32, "embedding_multiplier": 12.0, "residual_multiplier": 0.22, "logits_scaling": 8.0, "attention_multiplier": 0.125 }
            """;
        var granite = Assert.Throws<ModelConfigMismatchException>(() => DecoderGraniteWindowed.CheckConfig(Write(Granite)));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "missing, which means null"), Assert.Single(granite.Mismatches));
        var olmo2 = Assert.Throws<ModelConfigMismatchException>(() => DecoderOlmo2Windowed.CheckConfig(Write(Llama.Replace("\"llama\"", "\"olmo2\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "missing, which means null"), Assert.Single(olmo2.Mismatches));

        // MistralConfig defaults it to 4096 (v0.2 and later files hold an explicit null): the same declaration admits
        // Mistral's files, read by their own model_type.
        const string Mistral = """
            { "model_type": "mistral", "hidden_size": 32 }
            """;
        var mistral = Assert.Throws<ModelConfigMismatchException>(() => DecoderMistralWindowTiny.CheckConfig(Write(Mistral)));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "missing, which means 4096 for model_type \"mistral\""), Assert.Single(mistral.Mismatches));
        Assert.Contains("SlidingWindow = 6, but the config's sliding_window is missing, which means 4096 for model_type \"mistral\"", mistral.Message);
        Assert.Equal(3, DecoderMistralWindowTiny.CheckConfig(Write(Mistral.Replace("32", "32, \"sliding_window\": 6", StringComparison.Ordinal))));

        // Without a declared window, a cache longer than Mistral's default attends past it; a Llama file, or a Mistral
        // one whose window is null, windows nothing.
        var longCache = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaLongCache.CheckConfig(Write(Mistral)));
        Assert.Equal(
            new ConfigMismatch("MaxSeqLen", "4100, which needs at least that", "sliding_window", "missing, which means 4096 for model_type \"mistral\""),
            Assert.Single(longCache.Mismatches));
        Assert.Equal(2, DecoderLlamaLongCache.CheckConfig(Write(Llama)));
        Assert.Equal(3, DecoderLlamaLongCache.CheckConfig(Write(Mistral.Replace("32", "32, \"sliding_window\": null", StringComparison.Ordinal))));
    }

    [Fact]
    public void AGemmaOrQwenFileWithoutSlidingWindow_Windows4096_AndIsRefusedByADeclarationWindowingOtherwise()
    {
        // Gemma2Config and Gemma3TextConfig default sliding_window to 4096: a file without it windows its windowed layers
        // to the last 4096 positions, not 5 or 6, and a declaration without a window whose cache is longer attends past them.
        const string Gemma3 = """
            { "model_type": "gemma3_text", "hidden_size": 32, "query_pre_attn_scalar": 16, "sliding_window_pattern": 3 }
            """;
        var gemma3 = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Tiny.CheckConfig(Write(Gemma3)));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "5", "sliding_window", "missing, which means 4096"), Assert.Single(gemma3.Mismatches));
        Assert.Contains("SlidingWindow = 5, but the config's sliding_window is missing, which means 4096", gemma3.Message);
        Assert.Equal(5, DecoderGemma3Tiny.CheckConfig(Write(Gemma3.Replace("3 }", "3, \"sliding_window\": 5 }", StringComparison.Ordinal))));
        var gemma3Unwindowed = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3LongCache.CheckConfig(Write(Gemma3)));
        Assert.Equal(
            new ConfigMismatch("MaxSeqLen", "4100, which needs at least that", "sliding_window", "missing, which means 4096"),
            Assert.Single(gemma3Unwindowed.Mismatches));

        const string Gemma2 = """
            { "model_type": "gemma2", "hidden_size": 32, "query_pre_attn_scalar": 16, "attn_logit_softcapping": 5.0, "final_logit_softcapping": 3.0 }
            """;
        var gemma2 = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma2WithRopeThetaAsLocalBase.CheckConfig(Write(Gemma2)));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "missing, which means 4096"), Assert.Single(gemma2.Mismatches));
        var gemma2Unwindowed = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma2LongCache.CheckConfig(Write(Gemma2)));
        Assert.Equal("missing, which means 4096", Assert.Single(gemma2Unwindowed.Mismatches).InFile);
        Assert.Equal(5, DecoderGemma2Tiny.CheckConfig(Write(Gemma2)));

        // Qwen2Config and Qwen3Config default it to 4096 too, when "use_sliding_window" is true; without that (a missing
        // one is false) no layer is windowed, which the switch's own setting says.
        const string Qwen2 = """
            { "model_type": "qwen2", "hidden_size": 48, "num_hidden_layers": 2, "use_sliding_window": true, "max_window_layers": 0 }
            """;
        var qwen2 = Assert.Throws<ModelConfigMismatchException>(() => DecoderQwen2Windowed.CheckConfig(Write(Qwen2)));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "missing, which means 4096"), Assert.Single(qwen2.Mismatches));
        var qwen3 = Qwen2.Replace("\"qwen2\"", "\"qwen3\"", StringComparison.Ordinal).Replace("48", "32", StringComparison.Ordinal);
        Assert.Equal("missing, which means 4096", Assert.Single(Assert.Throws<ModelConfigMismatchException>(() => DecoderQwen3Windowed.CheckConfig(Write(qwen3))).Mismatches).InFile);
        var qwen2Unwindowed = Assert.Throws<ModelConfigMismatchException>(() => DecoderQwen2LongCache.CheckConfig(Write(Qwen2)));
        Assert.Equal(
            new ConfigMismatch("MaxSeqLen", "4100, which needs at least that", "sliding_window", "missing, which means 4096"),
            Assert.Single(qwen2Unwindowed.Mismatches));
        var switchedOff = Qwen2.Replace("\"use_sliding_window\": true, ", "", StringComparison.Ordinal);
        Assert.Equal(3, DecoderQwen2LongCache.CheckConfig(Write(switchedOff)));
        var off = Assert.Throws<ModelConfigMismatchException>(() => DecoderQwen2Windowed.CheckConfig(Write(switchedOff)));
        Assert.Equal(new ConfigMismatch("Windowed (SlidingWindow > 0)", "true", "use_sliding_window", "missing, which means false"), Assert.Single(off.Mismatches));

        // SmolLM3Config defaults it to None: switched on, a file without it still windows no layer.
        const string SmolLm3 = """
            { "model_type": "smollm3", "hidden_size": 32, "num_hidden_layers": 3, "use_sliding_window": true, "no_rope_layer_interval": 3, "no_rope_layers": [1, 1, 0] }
            """;
        var smolLm3 = Assert.Throws<ModelConfigMismatchException>(() => DecoderSmolLm3Windowed.CheckConfig(Write(SmolLm3)));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "missing, which means null"), Assert.Single(smolLm3.Mismatches));
    }

    [Fact]
    public void AGemma3FileWithoutPatternOrLayerTypes_LeavesEverySixthLayerFull_AndIsRefusedByADeclarationOfAnotherPattern()
    {
        // Gemma3TextConfig reads a missing sliding_window_pattern as 6 and, without layer_types, lists the layers from it:
        // every sixth full, the others windowed. DecoderGemma3Tiny leaves every third full.
        const string Gemma3 = """
            { "model_type": "gemma3_text", "hidden_size": 32, "query_pre_attn_scalar": 16, "sliding_window": 5 }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Tiny.CheckConfig(Write(Gemma3)));
        Assert.Equal(
            new ConfigMismatch("SlidingWindowPattern", "3", "sliding_window_pattern", "missing, which means 6 (with layer_types missing too)"),
            Assert.Single(e.Mismatches));
        Assert.Contains("SlidingWindowPattern = 3, but the config's sliding_window_pattern is missing, which means 6 (with layer_types missing too)", e.Message);
        Assert.Equal(4, DecoderGemma3PatternOfSix.CheckConfig(Write(Gemma3)));

        // A file that lists its layers is compared by them instead, with or without a pattern.
        var listed = Gemma3.Replace("5 }", "5, \"layer_types\": [\"sliding_attention\", \"sliding_attention\", \"full_attention\"] }", StringComparison.Ordinal);
        Assert.Equal(5, DecoderGemma3Tiny.CheckConfig(Write(listed)));
        var wrapper = Assert.Throws<ModelConfigMismatchException>(() => DecoderGemma3Tiny.CheckConfig(Write($$"""{ "model_type": "gemma3", "text_config": {{Gemma3}} }""")));
        Assert.Equal("sliding_window_pattern", Assert.Single(wrapper.Mismatches).Key);
    }

    [Fact]
    public void ASmolLm3FileWithoutNoRopeLayersOrInterval_LeavesEveryFourthLayerUnrotated_AndIsRefusedByADeclarationOfAnotherInterval()
    {
        // SmolLM3Config reads a missing no_rope_layer_interval as 4 and, without no_rope_layers, rotates every layer but
        // each fourth. DecoderSmolLm3Tiny leaves every third unrotated: its last layer, which the file's model rotates.
        const string SmolLm3 = """
            { "model_type": "smollm3", "hidden_size": 32, "num_hidden_layers": 3 }
            """;
        var e = Assert.Throws<ModelConfigMismatchException>(() => DecoderSmolLm3Tiny.CheckConfig(Write(SmolLm3)));
        Assert.Equal(
            new ConfigMismatch("NoRopeInterval", "3", "no_rope_layer_interval", "missing, which means 4 (with no_rope_layers missing too)"),
            Assert.Single(e.Mismatches));
        Assert.Contains("NoRopeInterval = 3, but the config's no_rope_layer_interval is missing, which means 4 (with no_rope_layers missing too)", e.Message);

        // A file that flags each layer is compared by its flags instead; one that states the interval by it.
        Assert.Equal(4, DecoderSmolLm3Tiny.CheckConfig(Write(SmolLm3.Replace("3 }", "3, \"no_rope_layers\": [1, 1, 0] }", StringComparison.Ordinal))));
        Assert.Equal(4, DecoderSmolLm3Tiny.CheckConfig(Write(SmolLm3.Replace("3 }", "3, \"no_rope_layer_interval\": 3 }", StringComparison.Ordinal))));
        var flags = Assert.Throws<ModelConfigMismatchException>(() => DecoderSmolLm3Tiny.CheckConfig(Write(SmolLm3.Replace("3 }", "3, \"no_rope_layers\": [1, 1, 1] }", StringComparison.Ordinal))));
        Assert.Equal("no_rope_layers", Assert.Single(flags.Mismatches).Key);
    }

    [Fact]
    public void ALlamaGraniteOrOlmo2FileStatingSlidingWindow_WindowsNoLayer_AndIsRefusedByAWindowedDeclaration()
    {
        // LlamaModel, GraniteModel and Olmo2Model never window attention, whatever the file states (MistralAttention's
        // window is its "main diff with Llama"): such a file runs every layer over every cached position, which a
        // declaration windowing every layer to the last 6 does not, though the file's sliding_window says 6.
        const string Llama = """
            { "model_type": "llama", "hidden_size": 32, "sliding_window": 6 }
            """;
        var llama = Assert.Throws<ModelConfigMismatchException>(() => DecoderMistralWindowTiny.CheckConfig(Write(Llama)));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "6, which model_type \"llama\" ignores, as if missing: null"), Assert.Single(llama.Mismatches));
        Assert.Contains("SlidingWindow = 6, but the config's sliding_window is 6, which model_type \"llama\" ignores, as if missing: null", llama.Message);
        const string Granite = """
            { "model_type": "granite", "hidden_size": 32, "embedding_multiplier": 12.0, "residual_multiplier": 0.22, "logits_scaling": 8.0, "attention_multiplier": 0.125,
              "sliding_window": 6 }
            """;
        var granite = Assert.Throws<ModelConfigMismatchException>(() => DecoderGraniteWindowed.CheckConfig(Write(Granite)));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "6, which model_type \"granite\" ignores, as if missing: null"), Assert.Single(granite.Mismatches));
        var olmo2 = Assert.Throws<ModelConfigMismatchException>(() => DecoderOlmo2Windowed.CheckConfig(Write(Llama.Replace("\"llama\"", "\"olmo2\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("SlidingWindow", "6", "sliding_window", "6, which model_type \"olmo2\" ignores, as if missing: null"), Assert.Single(olmo2.Mismatches));

        // Mistral's and Phi-3's models window by it, as the same declaration does.
        Assert.Equal(3, DecoderMistralWindowTiny.CheckConfig(Write(Llama.Replace("\"llama\"", "\"mistral\"", StringComparison.Ordinal))));
        Assert.Equal(3, DecoderMistralWindowTiny.CheckConfig(Write(Llama.Replace("\"llama\"", "\"phi3\"", StringComparison.Ordinal))));

        // Nor is a declaration without a window refused for a window those families ignore: DecoderLlamaLongCache's 4100
        // positions attend as a Llama file's model does, stating 4096 or not (a Mistral file's 4096 is refused as before),
        // and so do DecoderGraniteTiny's and DecoderOlmo2Tiny's 24 against a window of 6.
        string llama4096 = Llama.Replace("\"sliding_window\": 6", "\"sliding_window\": 4096", StringComparison.Ordinal);
        Assert.Equal(2, DecoderLlamaLongCache.CheckConfig(Write(llama4096)));
        var mistral = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaLongCache.CheckConfig(Write(llama4096.Replace("\"llama\"", "\"mistral\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("MaxSeqLen", "4100, which needs at least that", "sliding_window", "4096"), Assert.Single(mistral.Mismatches));
        Assert.Equal(6, DecoderGraniteTiny.CheckConfig(Write(Granite)));
        Assert.Equal(2, DecoderOlmo2Tiny.CheckConfig(Write(Llama.Replace("\"llama\"", "\"olmo2\"", StringComparison.Ordinal))));
    }

    [Fact]
    public void AMistralOrPhi3FileWithUseSlidingWindowFalse_StillWindows_AndIsRefusedByADeclarationAttendingPastIt()
    {
        // MistralConfig and Phi3Config have no use_sliding_window, and their models window whenever sliding_window is set
        // (create_sliding_window_causal_mask, and the attention's sliding_window=config.sliding_window; before, the flash
        // path's sliding_window is not None): a false one windows all the same. DecoderLlamaLongCache's 4100 positions
        // attend past the window of 4096.
        const string Mistral = """
            { "model_type": "mistral", "hidden_size": 32, "use_sliding_window": false, "sliding_window": 4096 }
            """;
        var mistral = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaLongCache.CheckConfig(Write(Mistral)));
        Assert.Equal(new ConfigMismatch("MaxSeqLen", "4100, which needs at least that", "sliding_window", "4096"), Assert.Single(mistral.Mismatches));
        Assert.Contains("MaxSeqLen = 4100, which needs at least that, but the config's sliding_window is 4096", mistral.Message);
        var phi3 = Assert.Throws<ModelConfigMismatchException>(() => DecoderLlamaLongCache.CheckConfig(Write(Mistral.Replace("\"mistral\"", "\"phi3\"", StringComparison.Ordinal))));
        Assert.Equal(new ConfigMismatch("MaxSeqLen", "4100, which needs at least that", "sliding_window", "4096"), Assert.Single(phi3.Mismatches));

        // A declaration windowing as such a file's model does is not refused for the switch that model never reads, nor is
        // a Gemma 3 one (Gemma3TextConfig has none either).
        Assert.Equal(3, DecoderMistralWindowTiny.CheckConfig(Write(Mistral.Replace("4096", "6", StringComparison.Ordinal))));
        Assert.Equal(5, DecoderGemma3Tiny.CheckConfig(Write("""
            { "model_type": "gemma3_text", "hidden_size": 32, "query_pre_attn_scalar": 16, "use_sliding_window": false, "sliding_window": 5, "sliding_window_pattern": 3 }
            """)));

        // Qwen2's config reads it: switched off, its window is none, which DecoderQwen2LongCache's cache does not pass.
        Assert.Equal(1, DecoderQwen2LongCache.CheckConfig(Write(Mistral.Replace("\"mistral\", \"hidden_size\": 32", "\"qwen2\"", StringComparison.Ordinal))));
    }

    [Fact]
    public void AFileThatIsNoConfig_IsRefusedAsSuch()
    {
        Assert.Throws<InvalidDataException>(() => DecoderLlamaTiny.CheckConfig(Write("{ \"hidden_size\": 32, ")));
        Assert.Throws<InvalidDataException>(() => DecoderLlamaTiny.CheckConfig(Write("[32, 4]")));
        Assert.Throws<FileNotFoundException>(() => DecoderLlamaTiny.CheckConfig(Path.Combine(_directory, "missing.json")));
        Assert.Throws<ArgumentNullException>(() => DecoderLlamaTiny.CheckConfig(null!));

        // A model's folder, as CheckSentenceTransformersModel takes, is named as a folder (it read as "access denied").
        var folder = Assert.Throws<ArgumentException>(() => DecoderLlamaTiny.CheckConfig(_directory));
        Assert.Equal("configJsonPath", folder.ParamName);
        Assert.Contains("is a folder", folder.Message);
        Assert.Contains(Path.Combine(_directory, "config.json"), folder.Message);
    }
}
