import Foundation
import TestSupport

/// Writes small real datasets for the end-to-end tests, with Pillow (images) and Python's tarfile
/// and zipfile (archives), so the stage reads files it did not write itself.
enum DatasetFixtures {
    /// A CogVision folder: three images (two PNG, one JPEG), questions.json and taxonomy.json.
    static func cogVisionFolder(in directory: URL) throws -> URL {
        let folder = directory.appendingPathComponent("cogvision")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("images"), withIntermediateDirectories: true)
        try TestSupport.python("""
        import sys
        from PIL import Image
        d = sys.argv[1]
        Image.new("RGB", (32, 24), (200, 10, 10)).save(d + "/images/0001.png")
        Image.new("RGB", (16, 16), (10, 200, 10)).save(d + "/images/0002.png")
        Image.new("RGB", (20, 20), (10, 10, 200)).save(d + "/images/0003.jpg", quality=90)
        """, [folder.path])
        try Data(cogvisionTaxonomyJSON.utf8).write(to: folder.appendingPathComponent("taxonomy.json"))
        try Data(questions.utf8).write(to: folder.appendingPathComponent("questions.json"))
        return folder
    }

    static let questions = """
    [
      {"question": "What color is the square? Choose one option from the following: A. red B. green C. blue",
       "answer": "The square is red.", "final_answer": "A", "image_path": "images/0001.png",
       "generated": [
         {"subquestion": "What object is shown?", "answer": "square", "cognitive_skill": "High-Level Vision Reception"},
         {"subquestion": "What color is it?", "answer": "red", "cognitive_skill": "Low-level vision reception"},
         {"subquestion": "What rule links shapes and colors?", "answer": "none", "cognitive_skill": "Induction"},
         {"subquestion": "Which option says red?", "answer": "A", "cognitive_skill": "Decision-Making"}]},
      {"question": "Is the image green?", "answer": "It is green.", "final_answer": "yes", "image_path": "images/0002.png", "split": "test",
       "generated": [
         {"subquestion": "What color fills the image?", "answer": "green", "cognitive_skill": "Low-Level Vision Reception"},
         {"subquestion": "Does green mean go?", "answer": "yes", "cognitive_skill": "semantic Understanding"},
         {"subquestion": "So is it green?", "answer": "yes", "cognitive_skill": "Decision-Making"}]},
      {"question": "How many colors are there?", "answer": "One.", "final_answer": 1, "image_path": "images/0003.jpg",
       "generated": [
         {"subquestion": "List the colors.", "answer": "blue", "cognitive_skill": "Low-Level Vision Reception"},
         {"subquestion": "How many is that?", "answer": 1, "cognitive_skill": "Math Reasoning"}]}
    ]
    """

    /// Packs `folder`'s contents into an archive of the given kind: tar, tar.gz, tar.zst or zip.
    static func archive(_ folder: URL, kind: String, to url: URL) throws {
        switch kind {
        case "tar.zst":
            try TestSupport.shell("tar --zstd -cf '\(url.path)' -C '\(folder.path)' .")
        default:
            try TestSupport.python("""
            import os, sys, tarfile, zipfile
            src, dst, kind = sys.argv[1], sys.argv[2], sys.argv[3]
            files = sorted(os.path.relpath(os.path.join(r, f), src) for r, _, fs in os.walk(src) for f in fs)
            if kind == "zip":
                with zipfile.ZipFile(dst, "w") as z:
                    for f in files: z.write(os.path.join(src, f), f)
            else:
                with tarfile.open(dst, "w:gz" if kind == "tar.gz" else "w") as t:
                    for f in files: t.add(os.path.join(src, f), f)
            """, [folder.path, url.path, kind])
        }
    }
}
