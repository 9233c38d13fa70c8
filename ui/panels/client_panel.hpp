// The client panel: connect form and status, conversation tabs, chat view, user list and
// the message input. Draws a ClientModel; asks for network work through ClientCommands.
// UI thread only.
#pragma once

#include "ui/model/client_model.hpp"
#include "ui/panels/chat_view.hpp"
#include "ui/panels/file_picker.hpp"
#include "ui/panels/image_viewer.hpp"

#include <map>
#include <string>

namespace obrol::ui {

// What the panel can ask of the network side (net::Client in the app, a recorder in tests).
class ClientCommands
{
public:
    virtual ~ClientCommands() = default;
    virtual void Connect(const std::string& host, std::uint16_t port, const std::string& nick) = 0;
    virtual void Disconnect() = 0;
    virtual std::uint64_t Say(const std::string& to, const std::string& text) = 0; // 0: not sent
    virtual void RequestHistory(const std::string& conversation, std::uint64_t beforeId, std::uint32_t limit,
                                bool around) = 0;
    virtual std::uint64_t Search(const std::string& query) = 0; // returns the search token
    // Files: 0 when there is no connection to send it on.
    virtual std::uint64_t SendFile(const std::string& to, const std::filesystem::path& path) = 0;
    virtual void Download(const Line& fileMessage) = 0;
    virtual void CancelTransfer(std::uint64_t id, net::TransferDirection direction) = 0;
};

// Images for file messages: previews (the server's thumbnails) and full images for the viewer.
// The app decodes on a worker thread and keeps GL textures; tests pass fakes.
class Previews
{
public:
    virtual ~Previews() = default;
    virtual FilePreview Preview(const Line& fileMessage) = 0;
    // The whole image once it was downloaded (decoded from the saved file), else the preview.
    // width/height: the pixels of what is returned.
    virtual FilePreview Full(const Line& fileMessage, int& width, int& height) = 0;
};

class ClientPanel
{
public:
    ClientPanel(ClientModel& model, ClientCommands& commands, std::string host, std::uint16_t port, std::string nick);

    // Draws inside the current window/child. `windowFocused`: the OS window has focus.
    void Draw(bool windowFocused);

    // Sends the input's text (as Enter does). Returns false when there was nothing to send.
    bool Send(const std::string& text);
    // Sends to one conversation ("" everyone) whatever tab is on screen (scripted lines).
    bool SendTo(const std::string& to, const std::string& text);
    void OpenPrivate(const std::string& nick); // opens and selects the private tab
    void RequestConnect();
    void RunSearch(const std::string& query);
    // Opens the result's conversation and scrolls to it (asking the server for it if needed).
    void JumpTo(const net::Chat& result);
    std::string& SearchInput() { return m_search; }
    // Sends files to the conversation on screen (Attach, or files dropped on the window).
    void SendFiles(const std::vector<std::filesystem::path>& paths);
    void SetPreviews(Previews* previews) { m_previews = previews; }
    void SetDownloadsDir(std::filesystem::path dir) { m_downloadsDir = std::move(dir); }
    // Files from others up to this size are downloaded when they arrive (0: never).
    void SetAutoDownload(std::uint64_t bytes) { m_autoDownload = bytes; }
    // Call for every file message that arrives live: starts the download when it is small enough.
    void OnFileArrived(const net::Chat& chat);
    void OpenViewer(std::uint64_t fileId);
    FilePicker& Picker() { return m_picker; }
    ImageViewer& Viewer() { return m_viewer; }
    std::optional<std::uint64_t> ViewerFile() const { return m_viewerFile; }

    std::string& Input() { return m_input; }
    const std::string& ActiveTab() const { return m_active; }
    ChatView& View(const std::string& key);

    // Screen rectangles of the user-list entries drawn last frame (tests click them).
    const std::map<std::string, std::pair<ImVec2, ImVec2>>& UserRects() const { return m_userRects; }

private:
    void DrawStatus();
    void DrawSearch();
    void DrawConnectForm();
    void DrawTabs();
    void DrawUsers(float width, float height);
    void DrawInput();
    void DrawViewer();
    void HandleFileAction(const FileAction& action);

    // The chat views' window on files: previews through m_previews, transfers from the model.
    class Rows final : public FileRows
    {
    public:
        explicit Rows(ClientPanel& panel) : m_panel(panel) {}
        FilePreview Preview(const Line& line) override;
        const TransferView* Transfer(const Line& line) override;

    private:
        ClientPanel& m_panel;
    };

    ClientModel& m_model;
    ClientCommands& m_commands;
    std::string m_host;
    int m_port;
    std::string m_nick;
    std::string m_input;
    std::string m_search;
    bool m_showResults = false;
    std::string m_active;                        // key of the conversation on screen
    std::optional<std::string> m_select;         // tab to select next frame
    std::map<std::string, ChatView> m_views;     // by folded key
    ImGuiTextFilter m_userFilter;
    bool m_focusFilter = false;
    bool m_focusInput = true;
    std::map<std::string, std::pair<ImVec2, ImVec2>> m_userRects;
    Rows m_rows{*this};
    Previews* m_previews = nullptr;
    std::filesystem::path m_downloadsDir;
    std::uint64_t m_autoDownload = 0;
    FilePicker m_picker;
    std::filesystem::path m_pickerFolder; // where the last pick happened
    ImageViewer m_viewer;
    std::optional<std::uint64_t> m_viewerFile;
    ImTextureID m_viewerTexture = nullptr;
};

} // namespace obrol::ui
