import Foundation
import Testing
import TestSupport
@testable import HeadScopePrepare

/// Checks a prepared CogShapes directory with Pillow and plain Python: pixels and masks against
/// the recorded objects, and every final answer recomputed from the objects.
let cogShapesChecker = #"""
import json, math, re, sys
from PIL import Image
root = sys.argv[1]
rgb = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (235, 200, 30),
       "purple": (150, 60, 190), "orange": (245, 130, 20)}
corners = {"circle": 0, "square": 4, "triangle": 3, "star": 10}
images = {}
checked_pixels = 0
for line in open(root + "/images.jsonl"):
    rec = json.loads(line)
    im = Image.open(root + "/" + rec["file"]); mask = Image.open(root + "/" + rec["mask"])
    assert im.mode == "RGB" and im.size == (224, 224), (rec["file"], im.mode, im.size)
    assert mask.mode == "L" and mask.size == (224, 224)
    objs = rec["annotations"]["objects"]
    hist = mask.histogram()
    for o in objs:
        cx, cy = o["center"]
        assert mask.getpixel((cx, cy)) == o["label"], (rec["id"], o)
        assert im.getpixel((cx, cy)) == rgb[o["color"]], (rec["id"], o, im.getpixel((cx, cy)))
        r = o["radius"]
        area = hist[o["label"]]
        if o["shape"] == "circle":
            # Within half a pixel along the outline (pixel quantisation), far less than a 1 px radius error.
            expect = math.pi * (r - 0.5) ** 2
            assert abs(area - expect) <= 0.5 * 2 * math.pi * (r - 0.5), ("circle area", area, expect)
        if o["shape"] == "square":
            side = 2 * (r * 8 * 740 // 1024) / 8
            assert abs(area - side * side) <= 0.75 * 4 * side, ("square area", area, side * side)
        checked_pixels += 1
    images[rec["id"]] = objs

def by_color(objs, color): return [o for o in objs if o["color"] == color]
answers = 0
for line in open(root + "/items.jsonl"):
    item = json.loads(line)
    objs = images[item["image_id"]]
    q, task = item["question"], item["tags"]["task"]
    if task == "count_left":
        c, rc = re.match(r"How many (\w+) objects are to the left of the (\w+) object\?", q).groups()
        [ref] = by_color(objs, rc)
        expect = str(sum(1 for o in objs if o["color"] == c and o["center"][0] < ref["center"][0]))
    elif task == "compare_counts":
        c, s = re.match(r"Are there more (\w+) objects than (\w+)s in the image\?", q).groups()
        expect = "yes" if len(by_color(objs, c)) > sum(1 for o in objs if o["shape"] == s) else "no"
    elif task == "corners":
        [ref] = by_color(objs, re.match(r"How many corners does the (\w+) object have\?", q).group(1))
        expect = str(corners[ref["shape"]])
    elif task == "nearest_option":
        [ref] = by_color(objs, re.match(r"Which shape is the object nearest to the (\w+) object\?", q).group(1))
        others = [o for o in objs if o is not ref]
        near = min(others, key=lambda o: (o["center"][0] - ref["center"][0]) ** 2 + (o["center"][1] - ref["center"][1]) ** 2)
        expect = [k for k, v in item["options"].items() if v == near["shape"]][0]
    elif task == "main_object":
        expect = max(objs, key=lambda o: o["radius"])["shape"]
        assert item["tags"]["class"] == expect and item["tags"]["color"] == max(objs, key=lambda o: o["radius"])["color"]
    else:
        raise AssertionError("unknown task " + task)
    assert item["final_answer"] == expect, (item["id"], item["final_answer"], expect)
    assert item["steps"][-1]["answer"] == expect, item["id"]
    answers += 1
print(checked_pixels, answers)
"""#

@Suite(.serialized) struct CogShapesEndToEndTests {
    @Test func generatedDatasetIsByteIdenticalAcrossRunsAndMatchesItsScenes() throws {
        let a = try TestSupport.scratchDirectory("cogshapes-a"), b = try TestSupport.scratchDirectory("cogshapes-b")
        let args = ["--generate", "cogshapes", "--seed", "11", "--count", "15", "--output", "run/prepared"]
        let first = try PrepareExecutable.run(args, in: a)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try PrepareExecutable.run(args, in: b)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(first.stderr.contains("images: ") && first.stderr.contains("images/s"))  // progress with a rate

        let filesA = try filesByPath(a.appendingPathComponent("run")), filesB = try filesByPath(b.appendingPathComponent("run"))
        #expect(filesA.keys.sorted() == filesB.keys.sorted())
        for (path, data) in filesA where !path.hasSuffix("manifest.json") {
            #expect(filesB[path] == data, "\(path) differs between runs")
        }
        #expect(try manifestWithoutTimes(a.appendingPathComponent("run/prepared/manifest.json"))
                == manifestWithoutTimes(b.appendingPathComponent("run/prepared/manifest.json")))
        #expect(filesA.keys.contains("source/cogshapes-s11-n15.tar.gz"))
        #expect(!filesA.keys.contains { $0.contains(".work") })  // the work directory is gone

        // Pixels, masks and answers, checked independently in Python.
        let prepared = a.appendingPathComponent("run/prepared")
        let out = try TestSupport.python(cogShapesChecker, [prepared.path]).split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let counts = try manifestCounts(prepared)
        #expect(out.count == 2 && out[1] == counts["items"])
        #expect((out.first ?? 0) >= 30)
        #expect(counts["images_ok"] == 15)
        for label in CogShapesQuestions.taxonomy.labels { #expect((counts["steps.\(label)"] ?? 0) > 0, "no steps for \(label)") }
        #expect((counts["split.test"] ?? 0) > 0 && (counts["split.train"] ?? 0) > 0)

        // Splits are by scene: every item of one image has the same split.
        var splitOfImage: [String: String] = [:]
        for item in try jsonLines(prepared.appendingPathComponent("items.jsonl")) {
            let image = item["image_id"] as? String ?? "", split = item["split"] as? String ?? ""
            #expect(splitOfImage[image, default: split] == split)
            splitOfImage[image] = split
        }

        // A different seed gives a different dataset.
        let c = try TestSupport.scratchDirectory("cogshapes-c")
        #expect(try PrepareExecutable.run(["--generate", "cogshapes", "--seed", "12", "--count", "15", "--output", "run/prepared"], in: c).status == 0)
        #expect(try Data(contentsOf: c.appendingPathComponent("run/prepared/items.jsonl")) != filesA["prepared/items.jsonl"])
    }

    @Test func skippedSamplingGivesTheSameCoverageAsFullSampling() {
        for index in 0..<12 {
            let scene = CogShapesScene.generate(seed: 99, index: index)
            let raster = CogShapesRenderer.render(scene)
            // Reference: sample every pixel of every object's box, no shortcuts.
            for (k, object) in scene.objects.enumerated() {
                let inside = CogShapesRenderer.coverageTest(object)
                let box = object.boundingBox
                for y in box[1]..<box[3] {
                    for x in box[0]..<box[2] {
                        var covered = 0
                        for sy in 0..<4 { for sx in 0..<4 where inside(x * 8 + sx * 2 + 1, y * 8 + sy * 2 + 1) { covered += 1 } }
                        let label = raster.labels[y * 224 + x]
                        if covered >= 8 { #expect(label == UInt8(k + 1), "scene \(index) object \(k) pixel \(x),\(y)") }
                        else if covered == 0 { #expect(label != UInt8(k + 1)) }
                    }
                }
            }
        }
    }

    @Test func scenesAreIndependentOfCountAndRenderingIsExact() throws {
        // Scene k is the same whatever the count (own stream per scene).
        #expect(CogShapesScene.generate(seed: 5, index: 3) == CogShapesScene.generate(seed: 5, index: 3))
        let scene = CogShapesScene(id: "t", kind: .questions, split: "train", objects: [
            .init(shape: "square", color: "red", size: "large", centerX: 50, centerY: 60, radius: 22),
            .init(shape: "circle", color: "blue", size: "small", centerX: 150, centerY: 160, radius: 12),
        ])
        let raster = CogShapesRenderer.render(scene)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(raster.rgb[(y * 224 + x) * 3..<(y * 224 + x) * 3 + 3]) }
        #expect(pixel(50, 60) == [220, 40, 40])
        #expect(pixel(0, 0) == [242, 242, 242])
        #expect(raster.labels[60 * 224 + 50] == 1 && raster.labels[160 * 224 + 150] == 2 && raster.labels[0] == 0)
        // The square's half side is 22 * 740 / 1024 = 15.9 px: (50 +- 15, 60) is inside, +- 17 outside.
        #expect(raster.labels[60 * 224 + 65] == 1 && raster.labels[60 * 224 + 67] == 0)
        // Edge pixels are blended (anti-aliased), not just the two colours.
        let distinct = Set(stride(from: 0, to: raster.rgb.count, by: 3).map { raster.rgb[$0] })
        #expect(distinct.count > 3)
    }
}
