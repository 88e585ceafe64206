// swift-tools-version:6.0
// HeadScope: which attention heads of a vision-language model do what.
import PackageDescription

/// System libraries come from Debian's -dev packages (see `make setup`); each is wrapped by exactly
/// one Swift module, so the rest of the code never sees a C API.
let systemLibraries: [Target] = [
    .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-serial",
                   providers: [.apt(["libhdf5-dev"])]),
    .systemLibrary(name: "CArchive", pkgConfig: "libarchive",
                   providers: [.apt(["libarchive-dev"])]),
    .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                   providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                   providers: [.apt(["libpng-dev"])]),
    .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg",
                   providers: [.apt(["libjpeg62-turbo-dev"])]),
    .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto",
                   providers: [.apt(["libssl-dev"])]),
]

let package = Package(
    name: "HeadScope",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "HeadScopeHDF5", targets: ["HeadScopeHDF5"]),
        .library(name: "HeadScopeArchive", targets: ["HeadScopeArchive"]),
        .library(name: "HeadScopeImageIO", targets: ["HeadScopeImageIO"]),
        .library(name: "HeadScopeBLAS", targets: ["HeadScopeBLAS"]),
        .library(name: "HeadScopeCore", targets: ["HeadScopeCore"]),
        .library(name: "HeadScopeWeights", targets: ["HeadScopeWeights"]),
        .library(name: "HeadScopeQA", targets: ["HeadScopeQA"]),
        .library(name: "HeadScopeActivations", targets: ["HeadScopeActivations"]),
        .library(name: "HeadScopeExtract", targets: ["HeadScopeExtract"]),
        .executable(name: "headscope-extract", targets: ["headscope-extract"]),
        .library(name: "HeadScopePreprocess", targets: ["HeadScopePreprocess"]),
        .library(name: "HeadScopeTokenizer", targets: ["HeadScopeTokenizer"]),
        .library(name: "HeadScopeEngine", targets: ["HeadScopeEngine"]),
        .library(name: "HeadScopeRuntime", targets: ["HeadScopeRuntime"]),
        .library(name: "HeadScopePrepare", targets: ["HeadScopePrepare"]),
        .library(name: "HeadScopeIntervene", targets: ["HeadScopeIntervene"]),
        .executable(name: "headscope-prepare", targets: ["headscope-prepare"]),
        .library(name: "HeadScopeProbe", targets: ["HeadScopeProbe"]),
        .executable(name: "headscope-probe", targets: ["headscope-probe"]),
        .executable(name: "headscope-run", targets: ["headscope-run"]),
        .executable(name: "headscope-intervene", targets: ["headscope-intervene"]),
        .library(name: "HeadScopeAttribute", targets: ["HeadScopeAttribute"]),
        .executable(name: "headscope-attribute", targets: ["headscope-attribute"]),
        .executable(name: "headscope-bench", targets: ["headscope-bench"]),
        .library(name: "HeadScopeReport", targets: ["HeadScopeReport"]),
        .executable(name: "headscope-report", targets: ["headscope-report"]),
    ],
    dependencies: [
        // Command-line parsing with generated --help for every stage executable.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML pipeline configs, with node marks so validation errors can name the line.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: systemLibraries + [
        // MARK: Native-library layer: one Swift module per C library.
        .target(name: "HeadScopeHDF5", dependencies: ["CHDF5"]),
        .target(name: "HeadScopeArchive", dependencies: ["CArchive"]),
        // libpng and libjpeg report errors by longjmp, which Swift cannot catch: the decoders and
        // the encoder run in this small C target, behind setjmp-based handlers.
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        .target(name: "HeadScopeImageIO", dependencies: ["CImageCodecs"]),
        .target(name: "HeadScopeBLAS", dependencies: ["CBLAS"]),
        .target(name: "HeadScopeWeights"),

        // MARK: The VLM engine: checkpoints, shared blocks, architectures, plans, generation.
        .target(name: "HeadScopeEngine", dependencies: ["HeadScopeBLAS", "HeadScopeWeights"]),

        // MARK: Stage infrastructure shared by every executable.
        .target(name: "HeadScopeCore", dependencies: [
            "CCrypto",
            .product(name: "Yams", package: "Yams"),
        ]),

        // MARK: The method: prompts, answer parsing, judging (METHODS 1.2, 1.4).
        .target(name: "HeadScopeQA"),
        // MARK: The activation store (HDF5 shards + virtual index), shared by extract and probe.
        .target(name: "HeadScopeActivations", dependencies: ["HeadScopeHDF5", "HeadScopeCore"]),
        // MARK: Stage 2: subquestions through the model into the activation store.
        .target(name: "HeadScopeExtract", dependencies: ["HeadScopeActivations", "HeadScopeQA", "HeadScopeCore",
                                                        "HeadScopeRuntime", "HeadScopeEngine"]),
        // MARK: Engine
        // Image preprocessing matching the transformers processors (Pillow resampling); Foundation only.
        .target(name: "HeadScopePreprocess"),
        // MARK: Text: Hugging Face tokenizer.json pipelines and chat templates (Foundation only).
        .target(name: "HeadScopeTokenizer"),

        // MARK: Stage 1: prepare (archives + questions -> prepared/ items with labelled steps).
        .target(name: "HeadScopePrepare", dependencies: [
            "HeadScopeCore", "HeadScopeArchive", "HeadScopeImageIO",
        ]),
        .executableTarget(name: "headscope-prepare", dependencies: [
            "HeadScopePrepare", "HeadScopeCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Benchmarks: the sgemm roof, engine timings and attribution runs/s (`make bench`).
        .executableTarget(name: "headscope-bench", dependencies: [
            "HeadScopeCore", "HeadScopeEngine", "HeadScopeBLAS", "HeadScopeAttribute", "HeadScopeRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Models behind one seam: engine + tokenizer + chat template + image processor.
        .target(name: "HeadScopeRuntime", dependencies: [
            "HeadScopeEngine", "HeadScopeTokenizer", "HeadScopePreprocess", "HeadScopeImageIO",
            "HeadScopeWeights", "HeadScopeCore",
        ]),
        .executableTarget(name: "headscope-run", dependencies: [
            "HeadScopeRuntime", "HeadScopeEngine", "HeadScopeHDF5", "HeadScopeCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Stage 3: probes and functional heads (METHODS 1.5).
        .target(name: "HeadScopeProbe", dependencies: ["HeadScopeBLAS", "HeadScopeHDF5", "HeadScopeCore"]),
        .executableTarget(name: "headscope-extract", dependencies: [
            "HeadScopeExtract", "HeadScopeActivations", "HeadScopeRuntime", "HeadScopeQA", "HeadScopeCore", "HeadScopeBLAS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "headscope-probe", dependencies: [
            "HeadScopeProbe", "HeadScopeCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Stage 4: ablate and steer functional heads through the model seam (METHODS 1.6-1.8).
        .target(name: "HeadScopeIntervene", dependencies: [
            "HeadScopeRuntime", "HeadScopeEngine", "HeadScopeQA", "HeadScopeExtract", "HeadScopeActivations",
            "HeadScopeHDF5", "HeadScopeCore",
        ]),
        .executableTarget(name: "headscope-intervene", dependencies: [
            "HeadScopeIntervene", "HeadScopeRuntime", "HeadScopeCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Stage 5: head attribution of image-to-text flow (METHODS 2).
        .target(name: "HeadScopeAttribute", dependencies: [
            "HeadScopeRuntime", "HeadScopeEngine", "HeadScopeExtract", "HeadScopeHDF5", "HeadScopeImageIO", "HeadScopeCore",
        ]),
        .executableTarget(name: "headscope-attribute", dependencies: [
            "HeadScopeAttribute", "HeadScopeRuntime", "HeadScopeCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Stage 6: one self-contained HTML report over every stage's artifacts.
        // It decodes the other stages' files through their own types, so a format change there
        // breaks the build here rather than the report at run time.
        .target(name: "HeadScopeReport", dependencies: [
            "HeadScopeCore", "HeadScopeActivations", "HeadScopeHDF5", "HeadScopeExtract", "HeadScopeProbe",
            "HeadScopeIntervene", "HeadScopeAttribute",
        ]),
        .executableTarget(name: "headscope-report", dependencies: [
            "HeadScopeReport", "HeadScopeCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "HeadScopeHDF5Tests", dependencies: ["HeadScopeHDF5", "TestSupport"]),
        .testTarget(name: "HeadScopeArchiveTests", dependencies: ["HeadScopeArchive", "TestSupport"]),
        .testTarget(name: "HeadScopeImageIOTests", dependencies: ["HeadScopeImageIO", "TestSupport"]),
        .testTarget(name: "HeadScopeBLASTests", dependencies: ["HeadScopeBLAS"]),
        .testTarget(name: "HeadScopeWeightsTests", dependencies: ["HeadScopeWeights", "TestSupport"]),
        .testTarget(name: "HeadScopeQATests", dependencies: ["HeadScopeQA"]),
        .testTarget(name: "HeadScopeActivationsTests", dependencies: ["HeadScopeActivations", "TestSupport"]),
        .testTarget(name: "HeadScopeExtractTests", dependencies: ["HeadScopeExtract", "TestSupport", "headscope-extract", "headscope-prepare"]),
        .testTarget(name: "HeadScopeEngineTests", dependencies: ["HeadScopeEngine", "TestSupport"]),
        .testTarget(name: "HeadScopeCoreTests", dependencies: ["HeadScopeCore", "TestSupport"]),
        .testTarget(name: "HeadScopePreprocessTests", dependencies: ["HeadScopePreprocess", "TestSupport"]),
        .testTarget(name: "HeadScopeTokenizerTests", dependencies: ["HeadScopeTokenizer", "TestSupport"]),
        .testTarget(name: "HeadScopeInterveneTests", dependencies: [
            "HeadScopeIntervene", "HeadScopeRuntime", "HeadScopeEngine", "HeadScopeActivations", "HeadScopeHDF5", "HeadScopeProbe",
            "HeadScopeQA", "HeadScopeCore", "TestSupport", "headscope-intervene", "headscope-run",
        ]),
        .testTarget(name: "HeadScopeRuntimeTests", dependencies: [
            "HeadScopeRuntime", "HeadScopeEngine", "HeadScopeTokenizer", "HeadScopeWeights", "HeadScopeCore", "TestSupport",
        ]),
        .testTarget(name: "HeadScopeAttributeTests", dependencies: [
            "HeadScopeAttribute", "HeadScopeRuntime", "HeadScopeEngine", "HeadScopeHDF5", "HeadScopeImageIO",
            "HeadScopeCore", "TestSupport",
        ]),
        .testTarget(name: "HeadScopePrepareTests", dependencies: [
            "HeadScopePrepare", "HeadScopeArchive", "HeadScopeCore", "TestSupport",
        ]),
        .testTarget(name: "HeadScopeReportTests", dependencies: [
            "HeadScopeReport", "HeadScopeCore", "HeadScopeHDF5", "HeadScopeActivations", "TestSupport", "headscope-report",
        ]),
        .testTarget(name: "HeadScopeProbeTests",
                    dependencies: ["HeadScopeProbe", "HeadScopeActivations", "HeadScopeHDF5", "HeadScopeCore",
                                   "TestSupport"]),
    ]
)
