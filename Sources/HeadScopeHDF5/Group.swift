import CHDF5

/// A group in an HDF5 file: a folder of named groups and datasets, with attributes.
///
/// Paths given to a group's methods are relative to it ("a/b"), or absolute ("/a/b").
public final class HDF5Group: Sendable {
    let handle: ObjectHandle

    init(handle: ObjectHandle) { self.handle = handle }

    /// The group's absolute path in its file.
    public var path: String { handle.path }

    /// The path of the file the group lives in.
    public var filePath: String { handle.file.path }

    /// The group's attributes.
    public var attributes: HDF5Attributes { HDF5Attributes(owner: handle) }

    /// What kind of object a group member is.
    public enum ChildKind: Sendable, Hashable {
        case group, dataset, namedDatatype, other
    }

    /// A member of a group.
    public struct Child: Sendable, Hashable {
        public var name: String
        public var kind: ChildKind

        public init(name: String, kind: ChildKind) {
            self.name = name
            self.kind = kind
        }
    }

    /// Creates a group (and any missing intermediate groups) at `path`.
    @discardableResult
    public func createGroup(_ path: String) throws -> HDF5Group {
        let full = joinPath(self.path, path)
        let context = handle.context("create group", full)
        let id = try handle.withID(context) { groupID -> hid_t in
            let lcpl = try context.check(H5Pcreate(hs_H5P_LINK_CREATE()))
            defer { H5Pclose(lcpl) }
            try context.check(H5Pset_create_intermediate_group(lcpl, 1))
            return try context.check(H5Gcreate2(groupID, path, lcpl, hs_H5P_DEFAULT(), hs_H5P_DEFAULT()))
        }
        return HDF5Group(handle: ObjectHandle(file: handle.file, id: id, path: full))
    }

    /// Opens the existing group at `path`.
    public func openGroup(_ path: String) throws -> HDF5Group {
        let full = joinPath(self.path, path)
        let context = handle.context("open group", full)
        let id = try handle.withID(context) { try context.check(H5Gopen2($0, path, hs_H5P_DEFAULT())) }
        return HDF5Group(handle: ObjectHandle(file: handle.file, id: id, path: full))
    }

    /// Opens the existing dataset at `path`.
    public func openDataset(_ path: String) throws -> HDF5Dataset {
        let full = joinPath(self.path, path)
        let context = handle.context("open dataset", full)
        let id = try handle.withID(context) { try context.check(H5Dopen2($0, path, hs_H5P_DEFAULT())) }
        return HDF5Dataset(handle: ObjectHandle(file: handle.file, id: id, path: full))
    }

    /// Whether an object (group or dataset) exists at `path`; intermediate groups may be missing.
    public func contains(_ path: String) throws -> Bool {
        let context = handle.context("look up", joinPath(self.path, path))
        return try handle.withID(context) { groupID in
            var prefix = path.hasPrefix("/") ? "/" : ""
            let components = path.split(separator: "/", omittingEmptySubsequences: true)
            if components.isEmpty { return true }
            for component in components {
                prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
                guard try context.check(H5Lexists(groupID, prefix, hs_H5P_DEFAULT())) > 0 else { return false }
            }
            // The link exists; make sure it leads somewhere (soft links can dangle).
            return try context.check(H5Oexists_by_name(groupID, path, hs_H5P_DEFAULT())) > 0
        }
    }

    /// The group's members in name order, with their kinds.
    public func children() throws -> [Child] {
        let context = handle.context("list group")
        return try handle.withID(context) { groupID in
            final class Names { var values: [String] = [] }
            let names = Names()
            var index: hsize_t = 0
            let box = Unmanaged.passRetained(names)
            defer { box.release() }
            try context.check(H5Literate(groupID, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, data in
                guard let name, let data else { return 0 }
                Unmanaged<Names>.fromOpaque(data).takeUnretainedValue().values.append(String(cString: name))
                return 0
            }, box.toOpaque()))
            return names.values.map { name in
                let objectID = H5Oopen(groupID, name, hs_H5P_DEFAULT())
                guard objectID >= 0 else {
                    // A dangling soft or external link: list it, it is there, but as `other`.
                    H5Eclear2(hs_H5E_DEFAULT())
                    return Child(name: name, kind: .other)
                }
                defer { H5Oclose(objectID) }
                let kind: ChildKind = switch H5Iget_type(objectID) {
                case H5I_GROUP: .group
                case H5I_DATASET: .dataset
                case H5I_DATATYPE: .namedDatatype
                default: .other
                }
                return Child(name: name, kind: kind)
            }
        }
    }

    /// The names of the group's members, in name order.
    public func childNames() throws -> [String] { try children().map(\.name) }

    /// Removes the link `path` from the group (the space is not reclaimed until the file is
    /// repacked, as everywhere in HDF5).
    public func remove(_ path: String) throws {
        let context = handle.context("remove", joinPath(self.path, path))
        try handle.withID(context) { try context.check(H5Ldelete($0, path, hs_H5P_DEFAULT())) }
    }

    /// Closes the group now, reporting failure; otherwise it closes when released.
    public func close() throws { try handle.close() }
}
