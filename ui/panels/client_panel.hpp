// The client panel: connect form and status, the conversation list (rooms with their unread
// badges, then private conversations), the conversation on screen with its topic, the user list
// and the message input, and the room browser ("Join or create a room"). Draws a ClientModel;
// asks for network work through ClientCommands. UI thread only.
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
    virtual std::uint64_t Say(const net::Target& to, const std::string& text) = 0; // 0: not sent
    virtual void RequestHistory(const net::Target& conversation, std::uint64_t beforeId, std::uint32_t limit,
                                bool around) = 0;
    virtual std::uint64_t Search(const std::string& query) = 0; // returns the search token
    // Files: 0 when there is no connection to send it on.
    virtual std::uint64_t SendFile(const net::Target& to, const std::filesystem::path& path) = 0;
    virtual void Download(const Line& fileMessage) = 0;
    virtual void CancelTransfer(std::uint64_t id, net::TransferDirection direction) = 0;
    // Rooms, by name without '#': join (creates it when new), leave, set the topic, list them all.
    virtual void JoinRoom(const std::string& room) = 0;
    virtual void PartRoom(const std::string& room) = 0;
    virtual void SetTopic(const std::string& room, const std::string& topic) = 0;
    virtual void ListRooms() = 0;
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
    // Sends to one conversation by key ("" everyone, "#room", or a nickname) whatever is on screen.
    bool SendTo(const std::string& key, const std::string& text);
    void OpenPrivate(const std::string& nick); // opens and selects the private conversation
    void Select(const std::string& key);       // shows a conversation that is open (by key)

    // [Rooms] The browser lists the server's rooms (asked for when it opens) and joins or creates one.
    void OpenRoomBrowser();
    void CloseRoomBrowser() { m_browserClose = m_browserOpen; }
    bool RoomBrowserOpen() const { return m_browserOpen; }
    std::string& RoomBrowserInput() { return m_roomName; }
    // Joins a room by name (a leading '#' is dropped) and shows it once the server confirms;
    // a room already joined is shown at once. False (with the reason on screen) for a bad name.
    bool JoinRoom(const std::string& name);
    void LeaveRoom(const std::string& key); // not the everyone room
    // Topic of the room on screen: start editing (Ctrl+E), and send a new one.
    void EditTopic();
    bool EditingTopic() const { return m_topicKey.has_value(); }
    std::string& TopicInput() { return m_topicInput; }
    bool SetTopic(const std::string& key, const std::string& topic);
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
    const std::string& ActiveTab() const { return m_active; } // the key of the conversation on screen
    ChatView& View(const std::string& key);

    // Screen rectangles drawn last frame (tests click them): user-list entries by nickname,
    // conversation-list rows by folded key, and the room browser's rows by room name.
    using Rects = std::map<std::string, std::pair<ImVec2, ImVec2>>;
    const Rects& UserRects() const { return m_userRects; }
    const Rects& ConversationRects() const { return m_conversationRects; }
    const Rects& BrowserRects() const { return m_browserRects; }

private:
    void HandleShortcuts();
    void DrawStatus();
    void DrawSearch();
    void DrawConnectForm();
    void DrawRefusal();
    void DrawConversationList(float width, float height);
    void DrawConversationRow(const Conversation& c);
    void DrawConversation();
    bool DrawConversationHeader(Conversation& c);         // false: c was closed
    bool DrawHeaderButtons(Conversation& c, float width); // false: c was closed
    void DrawTopic(Conversation& c, float width);
    void DrawRoomBrowser();
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
    std::map<std::string, ChatView> m_views;     // by folded key
    ImGuiTextFilter m_userFilter;
    bool m_focusFilter = false;
    bool m_focusInput = true;
    bool m_focusNick = false;                    // after a refusal that names the nickname
    Rects m_userRects;
    Rects m_conversationRects;
    Rects m_browserRects;
    // rooms
    std::optional<std::string> m_closeKey;       // a conversation to close once the list is drawn
    std::optional<std::string> m_joinWanted;     // folded key of a room asked for: shown once joined
    bool m_browserOpen = false;
    bool m_browserPopup = false;                 // OpenPopup due this frame
    bool m_browserClose = false;                 // CloseCurrentPopup due this frame
    std::string m_roomName;                      // the browser's name field
    std::string m_roomProblem;                   // why that name cannot be joined
    int m_browserRow = -1;                       // row picked with the arrow keys (-1: the typed name)
    std::optional<std::string> m_topicKey;       // the room whose topic is being edited
    std::string m_topicInput;
    bool m_focusTopic = false;
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
