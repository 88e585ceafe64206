import Foundation
@testable import HeadScopePrepare

/// A CLEVR-format scene and questions written by hand; the answers in the comments were worked
/// out from the scene on paper, not by the executor.
enum CLEVRFixtures {
    // Objects: 0 large red metal cube (x 100, y 100), 1 small blue rubber sphere (50, 200),
    // 2 large blue rubber cylinder (200, 50), 3 small red rubber sphere (150, 120).
    // left[i] = objects with smaller x than i; front[i] = objects with larger y than i.
    static let scenes = """
    {"info": {"split": "val"}, "scenes": [{"image_index": 0, "image_filename": "CLEVR_val_000000.png", "split": "val",
      "objects": [
        {"color": "red", "size": "large", "shape": "cube", "material": "metal", "3d_coords": [0, 0, 0], "pixel_coords": [100, 100, 10]},
        {"color": "blue", "size": "small", "shape": "sphere", "material": "rubber", "3d_coords": [0, 0, 0], "pixel_coords": [50, 200, 10]},
        {"color": "blue", "size": "large", "shape": "cylinder", "material": "rubber", "3d_coords": [0, 0, 0], "pixel_coords": [200, 50, 10]},
        {"color": "red", "size": "small", "shape": "sphere", "material": "rubber", "3d_coords": [0, 0, 0], "pixel_coords": [150, 120, 10]}],
      "relationships": {
        "left": [[1], [], [0, 1, 3], [0, 1]], "right": [[2, 3], [0, 2, 3], [], [2]],
        "front": [[1, 3], [], [0, 1, 3], [1]], "behind": [[2], [0, 2, 3], [], [0, 2]]}}]}
    """

    static let questions = """
    {"info": {"split": "val"}, "questions": [
      {"question_index": 0, "split": "val", "image_index": 0, "image_filename": "CLEVR_val_000000.png",
       "question": "How many blue things are left of the red cube?", "answer": 1,
       "program": [{"function": "scene", "inputs": [], "value_inputs": []},
                   {"function": "filter_color", "inputs": [0], "value_inputs": ["red"]},
                   {"function": "filter_shape", "inputs": [1], "value_inputs": ["cube"]},
                   {"function": "unique", "inputs": [2], "value_inputs": []},
                   {"function": "relate", "inputs": [3], "value_inputs": ["left"]},
                   {"function": "filter_color", "inputs": [4], "value_inputs": ["blue"]},
                   {"function": "count", "inputs": [5], "value_inputs": []}]},
      {"question_index": 1, "split": "val", "image_filename": "CLEVR_val_000000.png",
       "question": "Are there more spheres than cylinders?", "answer": "yes",
       "program": [{"type": "scene", "inputs": [], "side_inputs": []},
                   {"type": "filter_shape", "inputs": [0], "side_inputs": ["sphere"]},
                   {"type": "count", "inputs": [1], "side_inputs": []},
                   {"type": "scene", "inputs": [], "side_inputs": []},
                   {"type": "filter_shape", "inputs": [3], "side_inputs": ["cylinder"]},
                   {"type": "count", "inputs": [4], "side_inputs": []},
                   {"type": "greater_than", "inputs": [2, 5], "side_inputs": []}]},
      {"question_index": 2, "split": "val", "image_filename": "CLEVR_val_000000.png",
       "question": "Does the small blue sphere have the same material as the large cylinder?", "answer": "yes",
       "program": [{"function": "scene", "inputs": []},
                   {"function": "filter_size[small]", "inputs": [0]},
                   {"function": "filter_color[blue]", "inputs": [1]},
                   {"function": "filter_shape[sphere]", "inputs": [2]},
                   {"function": "unique", "inputs": [3]},
                   {"function": "query_material", "inputs": [4]},
                   {"function": "scene", "inputs": []},
                   {"function": "filter_size[large]", "inputs": [6]},
                   {"function": "filter_shape[cylinder]", "inputs": [7]},
                   {"function": "unique", "inputs": [8]},
                   {"function": "query_material", "inputs": [9]},
                   {"function": "equal_material", "inputs": [5, 10]}]},
      {"question_index": 3, "split": "val", "image_filename": "CLEVR_val_000000.png",
       "question": "Is there a metal cube?", "answer": "no",
       "program": [{"function": "scene", "inputs": []}, {"function": "filter_material", "inputs": [0], "value_inputs": ["metal"]},
                   {"function": "filter_shape", "inputs": [1], "value_inputs": ["cube"]}, {"function": "exist", "inputs": [2]}]},
      {"question_index": 4, "split": "val", "image_filename": "CLEVR_val_000000.png",
       "question": "What color is the red thing?", "answer": "red",
       "program": [{"function": "scene", "inputs": []}, {"function": "filter_color", "inputs": [0], "value_inputs": ["red"]},
                   {"function": "unique", "inputs": [1]}, {"function": "query_color", "inputs": [2]}]},
      {"question_index": 5, "split": "val", "image_filename": "CLEVR_val_000000.png",
       "question": "How many other things are the same color as the cylinder?", "answer": "1",
       "program": [{"function": "scene", "inputs": []}, {"function": "filter_shape", "inputs": [0], "value_inputs": ["cylinder"]},
                   {"function": "unique", "inputs": [1]}, {"function": "same_color", "inputs": [2]},
                   {"function": "count", "inputs": [3]}]}
    ]}
    """

    static let taxonomy = """
    {"name": "clevr-test",
     "labels": ["Low-Level Vision Reception", "Relational Reasoning", "Math Reasoning", "Decision-Making"],
     "program_functions": {"filter_*": "Low-Level Vision Reception", "query_*": "Low-Level Vision Reception",
       "relate": "Relational Reasoning", "same_*": "Relational Reasoning",
       "count": "Math Reasoning", "greater_than": "Math Reasoning", "less_than": "Math Reasoning", "equal_integer": "Math Reasoning",
       "exist": "Decision-Making", "equal_*": "Decision-Making"}}
    """
}

